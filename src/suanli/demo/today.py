"""Today in the demo (idempotent): contracts running now, an order book waiting for the next
round, a voucher that expires next week.

Every demo startup with a login holds a contract that began at midnight yesterday (Asia/
Shanghai) and runs for two weeks, bought at the provider's ask with a voucher of its city's
program issued before it began; its GPUs are placed at once, so usage a provider imports
today (the README's `usage.jsonl`, by cluster and GPU UUID) bills on it straight away.
Everything goes through the real services, with the clock set to the moment it happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.kit.money import parse_cny
from suanli.kit.timeutil import SHANGHAI, as_utc, clock_at, utcnow
from suanli.market import funds, instant, offers_service, orders_service, placement, repository
from suanli.market.capacity import next_whole_hour
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy, OfferCreate, OrderCreate
from suanli.notifications import reminders
from suanli.programs import repository as program_repo
from suanli.programs.models import Program
from suanli.providers import repository as providers_repo
from suanli.providers.models import Cluster
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers import service as vouchers

DAYS = 14
DEMO_AUTHORITY = "sh-eitc"
# (buyer, cluster, GPUs, ask CNY per GPU-hour): one contract running now per demo startup.
RUNNING = [
    ("acme-ai", "QY-H20-01", 8, "7.90"),
    ("lingxi-labs", "QP-H20-01", 8, "9.00"),
    ("nova-ai", "CQ-K100-01", 8, "6.20"),
]
# Orders placed after the round, waiting for the next one: (buyer, models, GPUs, hours, limit).
WAITING = [
    ("nova-ai", ["ascend-910b"], 16, 24, "6.50"),
    ("lingxi-labs", ["h20", "l20"], 8, 12, "5.20"),
    ("acme-ai", ["ascend-910c"], 8, 48, "11.00"),
    ("deepseed-ai", ["l20"], 8, 24, "3.90"),
]
EXPIRING_HOLDER = "nova-ai"
EXPIRES_IN_DAYS = 6


def started_at(now: datetime) -> datetime:
    """Midnight yesterday in Asia/Shanghai: when today's running contracts began."""
    day = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _cluster(session: Session, name: str) -> Cluster | None:
    found = [c for c in providers_repo.clusters(session, None) if c.name == name]
    return found[0] if found else None


def _program(session: Session) -> Program | None:
    org = auth_repo.org_by_slug(session, DEMO_AUTHORITY)
    return None if org is None else program_repo.by_preset(session, org.id, "shanghai")


def _running(session: Session, buyer: Organisation, cluster: Cluster, now: datetime) -> bool:
    contracts, _ = repository.contracts_for(session, buyer_ids=[buyer.id], provider_ids=None,
                                            limit=1000, offset=0)
    return any(c.offer.cluster_id == cluster.id and as_utc(c.start_at) <= now < as_utc(c.end_at)
               for c in contracts)


def _buy(session: Session, buyer: Organisation, cluster: Cluster, gpus: int, ask: str,
         program: Program, start: datetime) -> Contract:
    """At an hour before `start`: a voucher issued, the cluster offered, the GPUs bought."""
    with clock_at(start - timedelta(hours=1)):
        voucher = vouchers.issue(session, program=program, holder_org_id=buyer.id,
                                 value_fen=program.default_value_fen, application_id=None,
                                 user_id=None)
        funds.record_deposit(session, organisation=buyer.slug,
                             amount_fen=parse_cny("100000.00"), reference="demo-running-contract")
        offer = offers_service.create_offer(session, org_ids={cluster.organisation_id},
                                            data=OfferCreate(
            cluster_id=cluster.id, gpus=gpus, start_at=start,
            end_at=start + timedelta(days=DAYS), ask_cny_per_gpu_hour=ask, min_lease_hours=24))
        return instant.instant_buy(session, org_ids={buyer.id}, data=InstantBuy(
            offer_id=offer.id, gpus=gpus, hours=DAYS * 24, start_at=start,
            voucher_id=voucher.id))


def seed_running(session: Session) -> None:
    """One contract running now for each demo startup, its GPUs placed."""
    now, program = utcnow(), _program(session)
    if program is None:
        return
    start = started_at(now)
    for slug, cluster_name, gpus, ask in RUNNING:
        buyer, cluster = auth_repo.org_by_slug(session, slug), _cluster(session, cluster_name)
        if buyer is None or cluster is None or _running(session, buyer, cluster, now):
            continue
        contract = _buy(session, buyer, cluster, gpus, ask, program, start)
        placement.place(session, contract)  # started already: its GPUs are known now


def seed_waiting_orders(session: Session) -> None:
    """Orders placed after the demo's round: the book the next round will clear (once)."""
    now = utcnow()
    if any(as_utc(o.earliest_start) >= now + timedelta(hours=20)
           for o in repository.open_orders(session)):
        return
    tomorrow = next_whole_hour(now) + timedelta(days=1)
    for slug, models, gpus, hours, limit in WAITING:
        org = auth_repo.org_by_slug(session, slug)
        if org is None:
            continue
        orders_service.place_order(session, org_ids={org.id}, user_id=None, data=OrderCreate(
            accelerators=models, gpus=gpus, duration_hours=hours, earliest_start=tomorrow,
            latest_end=tomorrow + timedelta(hours=hours + 72), limit_cny_per_gpu_hour=limit,
            origin_city=org.city))


def seed_expiring_voucher(session: Session) -> None:
    """A voucher of nova-ai that expires next week: issued its validity ago, less six days."""
    holder, program = auth_repo.org_by_slug(session, EXPIRING_HOLDER), _program(session)
    if holder is None or program is None:
        return
    now = utcnow()
    soon = now + timedelta(days=EXPIRES_IN_DAYS + 1)
    if any(v.holder_org_id == holder.id and now < as_utc(v.valid_until) <= soon
           for v in voucher_repo.vouchers(session, holder_ids=[holder.id])):
        return
    with clock_at(now - timedelta(days=program.validity_days - EXPIRES_IN_DAYS)):
        vouchers.issue(session, program=program, holder_org_id=holder.id,
                       value_fen=max(program.voucher_min_fen, program.default_value_fen // 5),
                       application_id=None,
                       user_id=None)


def seed_reminders(session: Session) -> None:
    """The reminders the worker would send now (the voucher expiring next week, contracts
    starting within a day), so that the inboxes show them; each fires once."""
    reminders.emit_due(session)


STEPS = [
    ("today: contracts running now for every demo startup", seed_running),
]
LATER_STEPS = [
    ("today: an order book waiting for the next round", seed_waiting_orders),
    ("today: a voucher that expires next week", seed_expiring_voucher),
    ("today: the reminders due now", seed_reminders),
]
