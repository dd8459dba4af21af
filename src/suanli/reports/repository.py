"""All SQL of reports: read-only views across the market, metering and settlement tables.

Reports read other domains' tables directly (and never write them): a report is a join
across domains that no single domain's service offers, and reading it in one query keeps a
national report to a handful of statements.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.catalog.models import Accelerator, Hub
from suanli.market.models import Contract, ContractState, Offer
from suanli.metering.models import UsageRecord
from suanli.programs.models import Program
from suanli.providers.models import Cluster, DataCentre
from suanli.reports.figures import Delivery
from suanli.settlement.models import ContractSettlement
from suanli.vouchers.models import Voucher


@dataclass(frozen=True)
class DeliveryRow:
    program_id: int | None
    delivery: Delivery


def programs(session: Session, authority_ids: Collection[int] | None) -> list[Program]:
    """Programs of these authorities (None: all), in id order."""
    stmt = select(Program).order_by(Program.id)
    if authority_ids is not None:
        stmt = stmt.where(Program.authority_org_id.in_(sorted(authority_ids)))
    return list(session.execute(stmt).scalars())


def deliveries(session: Session, program_ids: Collection[int] | None) -> list[DeliveryRow]:
    """Per contract (not cancelled): where it ran, on what, GPU-seconds delivered, spend.

    With `program_ids`, only contracts paid with vouchers of those programs.
    """
    usage = (select(UsageRecord.contract_id.label("cid"),
                    func.sum(UsageRecord.billable_gpu_seconds).label("gs"))
             .group_by(UsageRecord.contract_id).subquery())
    spend = (select(ContractSettlement.contract_id.label("cid"),
                    func.sum(ContractSettlement.charge_fen).label("fen"))
             .group_by(ContractSettlement.contract_id).subquery())
    stmt = (select(Contract.id, Contract.buyer_org_id, Voucher.program_id, DataCentre.hub_id,
                   Hub.side, DataCentre.operator_type, Accelerator.domestic, Accelerator.tdp_w,
                   DataCentre.pue, func.coalesce(usage.c.gs, 0), func.coalesce(spend.c.fen, 0))
            .join(Offer, Contract.offer_id == Offer.id)
            .join(Cluster, Offer.cluster_id == Cluster.id)
            .join(DataCentre, Cluster.data_centre_id == DataCentre.id)
            .join(Accelerator, Contract.accelerator_model == Accelerator.model)
            .outerjoin(Hub, DataCentre.hub_id == Hub.id)
            .outerjoin(Voucher, Contract.voucher_id == Voucher.id)
            .outerjoin(usage, usage.c.cid == Contract.id)
            .outerjoin(spend, spend.c.cid == Contract.id)
            .where(Contract.state != ContractState.CANCELLED)
            .order_by(Contract.id))
    if program_ids is not None:
        stmt = stmt.where(Voucher.program_id.in_(sorted(program_ids)))
    out = []
    for cid, buyer, program, hub, side, operator, domestic, tdp, pue, gs, fen in session.execute(
            stmt):
        out.append(DeliveryRow(program, Delivery(
            contract_id=cid, buyer_org_id=buyer, hub=hub, side=side, operator=str(operator),
            domestic=bool(domestic), tdp_w=tdp, pue=pue, gpu_seconds=int(gs),
            spend_fen=int(fen))))
    return out
