"""The buyer's and the provider's dashboards: figures over their own organisations only."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.dashboards import parties_repository as repo
from suanli.kit.timeutil import as_utc, to_shanghai, utcnow
from suanli.market import funds
from suanli.market.models import Contract, Order
from suanli.providers.models import Cluster
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers import service as voucher_service
from suanli.vouchers.models import Voucher, VoucherStatus

SHOWN = 10  # rows per table; the figure beside it counts them all and links the full list
EXPIRES_SOON_DAYS = 30
UTILISATION_DAYS = 7
REVENUE_DAYS = 30


def month_start(now: datetime) -> date:
    """The first day of the current month in Asia/Shanghai (periods are Shanghai days)."""
    return to_shanghai(now).date().replace(day=1)


@dataclass
class BuyerFigures:
    vouchers: list[Voucher]
    balances: dict[int, voucher_service.VoucherBalance]
    cash: list[tuple[str, int]]  # organisation slug, available fen
    orders: list[Order]
    orders_total: int
    contracts: list[Contract]
    contracts_total: int
    month: date
    spend: repo.Charges
    expiring: list[Voucher]  # active vouchers whose validity ends within 30 days
    ending: list[Contract]  # live contracts ending within 7 days

    @property
    def voucher_available(self) -> int:
        return sum(b.available for b in self.balances.values())


def buyer(session: Session, org_ids: Collection[int], slugs: Collection[str], *,
          now: datetime | None = None) -> BuyerFigures:
    now = now or utcnow()
    active = voucher_repo.vouchers(session, holder_ids=org_ids,
                                   statuses=[VoucherStatus.ACTIVE])
    orders, orders_total = repo.open_orders(session, org_ids, limit=SHOWN)
    contracts, contracts_total = repo.live_contracts(session, buyer_ids=org_ids, limit=SHOWN)
    soon = now + timedelta(days=EXPIRES_SOON_DAYS)
    month = month_start(now)
    return BuyerFigures(
        vouchers=active, balances=voucher_service.balances(session, active),
        cash=[(s, funds.cash_balance(session, s).available) for s in sorted(slugs)],
        orders=orders, orders_total=orders_total, contracts=contracts,
        contracts_total=contracts_total, month=month,
        spend=repo.charges_since(session, month, buyer_ids=org_ids),
        expiring=sorted((v for v in active if as_utc(v.valid_until) <= soon),
                        key=lambda v: v.valid_until),
        ending=[c for c in contracts if as_utc(c.end_at) <= now + timedelta(days=7)])


@dataclass
class ClusterUse:
    cluster: Cluster
    booked_pct: Decimal  # contracted GPU-hours over capacity, the past and the next week
    delivered_gpu_hours: Decimal  # metered in the past week
    open_cases: int


@dataclass
class ProviderFigures:
    clusters: list[ClusterUse]
    contracts: list[Contract]
    contracts_total: int
    month: date
    revenue_month: repo.Charges
    revenue_days: dict[date, int]
    claims: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def open_cases(self) -> int:
        return sum(c.open_cases for c in self.clusters)


def _overlap_hours(start: datetime, end: datetime, lo: datetime, hi: datetime) -> Decimal:
    seconds = (min(as_utc(end), hi) - max(as_utc(start), lo)).total_seconds()
    return Decimal(max(0, int(seconds))) / 3600


def _uses(session: Session, rows: list[Cluster], now: datetime) -> list[ClusterUse]:
    lo, hi = now - timedelta(days=UTILISATION_DAYS), now + timedelta(days=UTILISATION_DAYS)
    ids = [c.id for c in rows]
    booked: dict[int, Decimal] = {}
    for cid, gpus, start, end in repo.booked_on_clusters(session, ids, lo, hi):
        booked[cid] = booked.get(cid, Decimal(0)) + gpus * _overlap_hours(start, end, lo, hi)
    delivered = repo.delivered_on_clusters(session, ids, lo)
    cases = repo.open_cases_of(session, {c.organisation_id for c in rows})
    out = []
    for c in rows:
        capacity = Decimal(c.nodes * c.gpus_per_node * UTILISATION_DAYS * 2 * 24)
        pct = (booked.get(c.id, Decimal(0)) * 100 / capacity).quantize(Decimal("0.1"))
        out.append(ClusterUse(c, pct, (Decimal(delivered.get(c.id, 0)) / 3600)
                              .quantize(Decimal("0.01")), cases.get(c.id, 0)))
    return out


def provider(session: Session, org_ids: Collection[int], *, now: datetime | None = None
             ) -> ProviderFigures:
    now = now or utcnow()
    month = month_start(now)
    contracts, total = repo.live_contracts(session, provider_ids=org_ids, limit=SHOWN)
    since = to_shanghai(now).date() - timedelta(days=REVENUE_DAYS - 1)
    return ProviderFigures(
        clusters=_uses(session, repo.clusters(session, org_ids), now), contracts=contracts,
        contracts_total=total, month=month,
        revenue_month=repo.charges_since(session, month, provider_ids=org_ids),
        revenue_days=repo.revenue_by_day(session, org_ids, since),
        claims=repo.claims_by_status(session, org_ids))
