"""Events caused by time rather than by a change: a voucher expiring in 30 and in 7 days,
a contract starting within 24 hours, a voucher's or a program budget's balance below the
threshold its owner set; and the daily digests. Each reminder carries a dedup key, so it
fires once however often (and on however many workers) this runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli import outbox
from suanli.kit.timeutil import SHANGHAI, to_shanghai, utcnow
from suanli.notifications import repository as repo
from suanli.notifications.config import NotifySettings
from suanli.notifications.models import Channel, Delivery, DeliveryStatus, DigestState
from suanli.programs import service as programs
from suanli.vouchers import service as vouchers

EXPIRY_WINDOWS = (7, 30)  # days before a voucher's end, smallest first
STARTING_WITHIN = timedelta(hours=24)


def _expiring(session: Session, now: datetime) -> int:
    fired = 0
    horizon = now + timedelta(days=max(EXPIRY_WINDOWS))
    for voucher in repo.active_vouchers(session, expiring_before=horizon):
        if voucher.valid_until <= now:
            continue  # the expiry sweep tells of it
        window = next(d for d in EXPIRY_WINDOWS if voucher.valid_until <= now + timedelta(days=d))
        available = vouchers.balance(session, voucher).available
        fired += outbox.emit(
            session, "voucher.expiring", subject=("voucher", voucher.id),
            orgs={"buyer": voucher.holder_org_id}, dedup_key=f"voucher.expiring:{voucher.id}:"
            f"{window}", at=now, payload={
                "voucher_id": voucher.id, "program_id": voucher.program_id, "days": window,
                "valid_until": voucher.valid_until, "available_fen": available}) is not None
    return fired


def _starting(session: Session, now: datetime) -> int:
    fired = 0
    for c in repo.contracts_starting(session, after=now, until=now + STARTING_WITHIN):
        fired += outbox.emit(
            session, "contract.starting_soon", subject=("contract", c.id),
            orgs={"buyer": c.buyer_org_id, "provider": c.provider_org_id},
            dedup_key=f"contract.starting_soon:{c.id}", at=now, payload={
                "contract_id": c.id, "start_at": c.start_at, "end_at": c.end_at,
                "gpus": c.gpus, "model": c.accelerator_model}) is not None
    return fired


def _low_vouchers(session: Session, now: datetime) -> int:
    fired = 0
    limits = repo.thresholds(session, "voucher")
    for voucher in repo.vouchers_by_ids(session, limits):
        limit = limits[voucher.id].threshold_fen
        available = vouchers.balance(session, voucher).available
        if available < limit:
            fired += outbox.emit(
                session, "voucher.low_balance", subject=("voucher", voucher.id),
                orgs={"buyer": voucher.holder_org_id}, at=now,
                dedup_key=f"voucher.low_balance:{voucher.id}:{limit}", payload={
                    "voucher_id": voucher.id, "program_id": voucher.program_id,
                    "available_fen": available, "threshold_fen": limit}) is not None
    return fired


def _low_budgets(session: Session, now: datetime) -> int:
    fired = 0
    limits = repo.thresholds(session, "program")
    for program in repo.programs_by_ids(session, limits):
        limit = limits[program.id].threshold_fen
        available = programs.available_fen(session, program)
        if available < limit:
            fired += outbox.emit(
                session, "program.budget_low", subject=("program", program.id),
                orgs={"authority": program.authority_org_id}, at=now,
                dedup_key=f"program.budget_low:{program.id}:{limit}", payload={
                    "program_id": program.id, "program": program.name,
                    "available_fen": available, "threshold_fen": limit}) is not None
    return fired


def emit_due(session: Session, *, now: datetime | None = None) -> int:
    """Emit every reminder that is due and has not fired yet; how many fired."""
    now = now or utcnow()
    return (_expiring(session, now) + _starting(session, now) + _low_vouchers(session, now)
            + _low_budgets(session, now))


def digest_cutoff(now: datetime, hour: int) -> datetime | None:
    """Today's digest moment (`hour` o'clock in Asia/Shanghai) once it has passed, else
    None: a digest gathers what happened before it."""
    local = to_shanghai(now)
    if local.hour < hour:
        return None
    return datetime(local.year, local.month, local.day, hour, tzinfo=SHANGHAI)


def queue_digests(session: Session, *, settings: NotifySettings, now: datetime | None = None
                  ) -> int:
    """Once a day, after the digest hour, one digest e-mail per user with events queued
    for it; how many digests were queued."""
    now = now or utcnow()
    cutoff = digest_cutoff(now, settings.digest_hour)
    if cutoff is None or settings.smtp is None:
        return 0
    day = cutoff.date()
    queued = 0
    for user_id in repo.digest_users(session, before=cutoff):
        key = f"digest:{user_id}:{day.isoformat()}"
        if repo.delivery_by_key(session, key) is not None:
            continue
        items = repo.queued_for(session, user_id, before=cutoff)
        contact = repo.settings(session, user_id)
        for item in items:
            item.digest_state = DigestState.SENT
        if not items or contact is None or not contact.email:
            continue  # nowhere to send them: they stay in the inbox only
        delivery = Delivery(
            key=key, channel=Channel.DIGEST, outbox_id=None,
            event_id=f"digest-{user_id}-{day:%Y%m%d}", kind="digest", user_id=user_id,
            endpoint_id=None, organisation_id=None, target=contact.email,
            items=[n.id for n in items], status=DeliveryStatus.PENDING, attempts=0,
            next_attempt_at=now, occurred_at=min(n.occurred_at for n in items),
            created_at=now)
        try:
            with session.begin_nested():  # another worker may have queued it a moment ago
                repo.add(session, delivery)
        except IntegrityError:
            continue
        queued += 1
    return queued
