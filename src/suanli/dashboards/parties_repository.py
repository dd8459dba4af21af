"""SQL of the buyer's and the provider's dashboards: read-only sums over their own rows.

Like `repository`, these read other domains' tables and never write them; every query is
scoped to the caller's organisations by the caller (never an unscoped default).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.market.models import Contract, ContractState, Offer, Order, OrderStatus
from suanli.metering.models import UsageRecord
from suanli.providers.models import CaseStatus, Cluster, ComplianceCase
from suanli.settlement.models import Claim, ContractSettlement, HoldChain, Invoice

LIVE_CONTRACTS = (ContractState.RESERVED, ContractState.RUNNING)


def open_orders(session: Session, org_ids: Collection[int], *, limit: int
                ) -> tuple[list[Order], int]:
    """The newest open orders of these startups (up to `limit`) and how many are open."""
    where = (Order.organisation_id.in_(sorted(org_ids)), Order.status == OrderStatus.OPEN)
    rows = session.execute(select(Order).where(*where).order_by(Order.id.desc())
                           .limit(limit)).scalars()
    total = session.execute(select(func.count()).select_from(Order).where(*where)).scalar_one()
    return list(rows), int(total)


def live_contracts(session: Session, *, buyer_ids: Collection[int] = (),
                   provider_ids: Collection[int] = (), limit: int
                   ) -> tuple[list[Contract], int]:
    """Reserved and running contracts of one side (soonest end first) and their count."""
    side = (Contract.buyer_org_id.in_(sorted(buyer_ids)) if buyer_ids
            else Contract.provider_org_id.in_(sorted(provider_ids)))
    where = (side, Contract.state.in_([str(s) for s in LIVE_CONTRACTS]))
    rows = session.execute(select(Contract).where(*where)
                           .order_by(Contract.end_at, Contract.id).limit(limit)).scalars()
    total = session.execute(select(func.count()).select_from(Contract)
                            .where(*where)).scalar_one()
    return list(rows), int(total)


@dataclass(frozen=True)
class Charges:
    charge: int = 0
    voucher: int = 0
    buyer: int = 0
    uncovered: int = 0


def charges_since(session: Session, since: date, *, buyer_ids: Collection[int] = (),
                  provider_ids: Collection[int] = ()) -> Charges:
    """Settled charges of periods from `since` on, for one side."""
    side = (ContractSettlement.buyer_org_id.in_(sorted(buyer_ids)) if buyer_ids
            else ContractSettlement.provider_org_id.in_(sorted(provider_ids)))
    stmt = select(func.coalesce(func.sum(ContractSettlement.charge_fen), 0),
                  func.coalesce(func.sum(ContractSettlement.voucher_fen), 0),
                  func.coalesce(func.sum(ContractSettlement.buyer_fen), 0),
                  func.coalesce(func.sum(ContractSettlement.uncovered_fen), 0)
                  ).where(side, ContractSettlement.period >= since)
    charge, voucher, buyer, uncovered = session.execute(stmt).one()
    return Charges(int(charge), int(voucher), int(buyer), int(uncovered))


def revenue_by_day(session: Session, provider_ids: Collection[int], since: date
                   ) -> dict[date, int]:
    """Settled charges per period (day) of these providers since `since`."""
    stmt = (select(ContractSettlement.period, func.sum(ContractSettlement.charge_fen))
            .where(ContractSettlement.provider_org_id.in_(sorted(provider_ids)),
                   ContractSettlement.period >= since)
            .group_by(ContractSettlement.period))
    return {day: int(total) for day, total in session.execute(stmt)}


def clusters(session: Session, provider_ids: Collection[int]) -> list[Cluster]:
    stmt = (select(Cluster).where(Cluster.organisation_id.in_(sorted(provider_ids)))
            .order_by(Cluster.name, Cluster.id))
    return list(session.execute(stmt).scalars())


def booked_on_clusters(session: Session, cluster_ids: Collection[int], start: datetime,
                       end: datetime) -> list[tuple[int, int, datetime, datetime]]:
    """(cluster id, GPUs, start, end) of contracts not cancelled overlapping [start, end)."""
    stmt = (select(Offer.cluster_id, Contract.gpus, Contract.start_at, Contract.end_at)
            .join(Offer, Contract.offer_id == Offer.id)
            .where(Offer.cluster_id.in_(sorted(cluster_ids)), Contract.start_at < end,
                   Contract.end_at > start, Contract.state != ContractState.CANCELLED))
    return [(c, g, s, e) for c, g, s, e in session.execute(stmt)]


def delivered_on_clusters(session: Session, cluster_ids: Collection[int], since: datetime
                          ) -> dict[int, int]:
    """Cluster id -> billable GPU-seconds metered since `since` on its contracts."""
    stmt = (select(Offer.cluster_id, func.sum(UsageRecord.billable_gpu_seconds))
            .join(Contract, UsageRecord.contract_id == Contract.id)
            .join(Offer, Contract.offer_id == Offer.id)
            .where(Offer.cluster_id.in_(sorted(cluster_ids)), UsageRecord.started_at >= since)
            .group_by(Offer.cluster_id))
    return {cid: int(total or 0) for cid, total in session.execute(stmt)}


def open_cases_of(session: Session, provider_ids: Collection[int]) -> dict[int, int]:
    """Cluster id -> open compliance cases."""
    stmt = (select(ComplianceCase.cluster_id, func.count())
            .where(ComplianceCase.organisation_id.in_(sorted(provider_ids)),
                   ComplianceCase.status == CaseStatus.OPEN)
            .group_by(ComplianceCase.cluster_id))
    return {cid: int(n) for cid, n in session.execute(stmt)}


def claims_by_status(session: Session, claimant_ids: Collection[int]
                     ) -> dict[str, tuple[int, int]]:
    """Status -> (claims, amount) of the claims these organisations made."""
    stmt = (select(Claim.status, func.count(), func.coalesce(func.sum(Claim.amount_fen), 0))
            .where(Claim.claimant_org_id.in_(sorted(claimant_ids)))
            .group_by(Claim.status))
    return {str(s): (int(n), int(a)) for s, n, a in session.execute(stmt)}


def usage_spans(session: Session, contract_id: int) -> list[tuple[datetime, datetime, int]]:
    """(start, end, billable GPU-seconds) of every usage record of a contract."""
    stmt = (select(UsageRecord.started_at, UsageRecord.ended_at,
                   UsageRecord.billable_gpu_seconds)
            .where(UsageRecord.contract_id == contract_id).order_by(UsageRecord.started_at))
    return [(s, e, int(n)) for s, e, n in session.execute(stmt)]


def settlements_of(session: Session, contract_id: int
                   ) -> list[tuple[ContractSettlement, str]]:
    """The contract's daily settlements, oldest first, each with its invoice's number."""
    stmt = (select(ContractSettlement, Invoice.number)
            .join(Invoice, ContractSettlement.invoice_id == Invoice.id)
            .where(ContractSettlement.contract_id == contract_id)
            .order_by(ContractSettlement.period, ContractSettlement.id))
    return [(row, number) for row, number in session.execute(stmt)]


def claims_of(session: Session, contract_id: int) -> list[Claim]:
    stmt = select(Claim).where(Claim.contract_id == contract_id).order_by(Claim.id)
    return list(session.execute(stmt).scalars())


def hold_chains(session: Session, contract_id: int) -> list[HoldChain]:
    stmt = (select(HoldChain).where(HoldChain.contract_id == contract_id)
            .order_by(HoldChain.side))
    return list(session.execute(stmt).scalars())


def contracts_of_order(session: Session, order_id: int) -> list[Contract]:
    stmt = select(Contract).where(Contract.order_id == order_id).order_by(Contract.id)
    return list(session.execute(stmt).scalars())
