"""All SQL of settlement (and its read-only look at contracts)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from suanli.kit.repository import paged
from suanli.market.models import Contract, ContractState
from suanli.metering.models import UsageRecord, UsageSettled
from suanli.settlement.charges import Billed, portion_until
from suanli.settlement.models import Claim, ClaimStatus, ContractSettlement, HoldChain, Invoice


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def chain(session: Session, contract_id: int, side: str, *, lock: bool = True
          ) -> HoldChain | None:
    stmt = select(HoldChain).where(HoldChain.contract_id == contract_id, HoldChain.side == side)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def settlement(session: Session, contract_id: int, period: date) -> ContractSettlement | None:
    stmt = select(ContractSettlement).where(ContractSettlement.contract_id == contract_id,
                                            ContractSettlement.period == period)
    return session.execute(stmt).scalar_one_or_none()


def settlement_by_id(session: Session, settlement_id: int) -> ContractSettlement | None:
    return session.get(ContractSettlement, settlement_id)


def has_final(session: Session, contract_id: int) -> bool:
    stmt = select(func.count()).where(ContractSettlement.contract_id == contract_id,
                                      ContractSettlement.final.is_(True))
    return bool(session.execute(stmt).scalar_one())


def billed(session: Session, contract_id: int) -> Billed:
    """What a contract's settlements billed so far: GPU-seconds, charge, subsidy."""
    s = ContractSettlement
    stmt = select(func.coalesce(func.sum(s.gpu_seconds), 0), func.coalesce(
        func.sum(s.charge_fen), 0), func.coalesce(func.sum(s.voucher_fen), 0)).where(
        s.contract_id == contract_id)
    gpu_seconds, charge, subsidy = session.execute(stmt).one()
    return Billed(int(gpu_seconds), int(charge), int(subsidy))


def delivered(session: Session, contract_id: int, until: datetime | None, through: int
              ) -> tuple[int, list[int]]:
    """(billable GPU-seconds of all the contract's usage before `until`, the records that
    run past it), of its records up to id `through` (those the settlement counted): a
    record over `until` counts for its time before it (None: all). Summed in SQL."""
    u = UsageRecord
    ended = select(func.coalesce(func.sum(u.billable_gpu_seconds), 0)).where(
        u.contract_id == contract_id, u.id <= through)
    if until is None:
        return int(session.execute(ended).scalar_one()), []
    total = int(session.execute(ended.where(u.ended_at <= until)).scalar_one())
    # The few records over `until`, found by the (contract, end) index; `through` is
    # applied here, since in SQL it could lead the planner to scan every record by id.
    stmt = select(u.id, u.billable_gpu_seconds, u.started_at, u.ended_at).where(
        u.contract_id == contract_id, u.ended_at > until, u.started_at < until)
    spanning = []
    for record_id, billable, start, end in session.execute(stmt):
        if record_id > through:
            continue
        total += portion_until(int(billable), start, end, until)
        spanning.append(int(record_id))
    return total, spanning


def delivered_usage(session: Session, contract_id: int, *, most: int = 1000
                    ) -> dict[str, object]:
    """A contract's delivered usage as claim evidence: its records (the first `most` ids)
    and their billable GPU-seconds."""
    u = UsageRecord
    count, seconds = session.execute(select(func.count(), func.coalesce(
        func.sum(u.billable_gpu_seconds), 0)).where(u.contract_id == contract_id)).one()
    ids = session.execute(select(u.id).where(u.contract_id == contract_id)
                          .order_by(u.started_at, u.id).limit(most)).scalars()
    return {"records": int(count), "record_ids": [int(i) for i in ids],
            "billable_gpu_seconds": int(seconds)}


def contracts_with_late_usage(session: Session) -> list[Contract]:
    """Contracts settled to their end that have usage no settlement billed (reported late)."""
    # Settled to the end: a mark with no end time covers every record up to its id, so late
    # usage is a record with a larger id (found by the (contract, id) index).
    m, u = UsageSettled, UsageRecord
    finished = (select(m.contract_id, func.max(m.through_record_id).label("through"))
                .where(m.until.is_(None), m.contract_id.in_(
                    select(ContractSettlement.contract_id).where(
                        ContractSettlement.final.is_(True))))
                .group_by(m.contract_id).subquery())
    late = select(finished.c.contract_id).where(exists().where(
        u.contract_id == finished.c.contract_id, u.id > finished.c.through))
    stmt = select(Contract).where(Contract.id.in_(late)).order_by(Contract.id)
    return list(session.execute(stmt).unique().scalars())


def final_settlements(session: Session, contract_ids: Collection[int]
                      ) -> list[ContractSettlement]:
    """The final settlements of these contracts (those settled to their end)."""
    s = ContractSettlement
    stmt = select(s).where(s.contract_id.in_(sorted(contract_ids)), s.final.is_(True))
    return list(session.execute(stmt).scalars())


def contracts_to_settle(session: Session, until: datetime) -> list[Contract]:
    """Contracts begun before `until`, not cancelled, not yet settled at their end."""
    finished = select(ContractSettlement.contract_id).where(ContractSettlement.final.is_(True))
    stmt = (select(Contract).where(Contract.state != ContractState.CANCELLED,
                                   Contract.start_at < until, Contract.id.not_in(finished))
            .order_by(Contract.id))
    return list(session.execute(stmt).unique().scalars())


def contract(session: Session, contract_id: int) -> Contract | None:
    stmt = select(Contract).where(Contract.id == contract_id)
    return session.execute(stmt).unique().scalar_one_or_none()


def invoice_for(session: Session, buyer_org_id: int, period: date) -> Invoice | None:
    stmt = select(Invoice).where(Invoice.buyer_org_id == buyer_org_id, Invoice.period == period)
    return session.execute(stmt).scalar_one_or_none()


def invoice(session: Session, invoice_id: int) -> Invoice | None:
    return session.get(Invoice, invoice_id)


def invoices(session: Session, buyer_ids: Collection[int] | None, *, limit: int, offset: int
             ) -> tuple[list[Invoice], int]:
    stmt = select(Invoice).order_by(Invoice.period.desc(), Invoice.id.desc())
    if buyer_ids is not None:
        stmt = stmt.where(Invoice.buyer_org_id.in_(sorted(buyer_ids)))
    return paged(session, stmt, limit=limit, offset=offset)


def lines_of_invoice(session: Session, invoice_id: int) -> list[ContractSettlement]:
    stmt = (select(ContractSettlement).where(ContractSettlement.invoice_id == invoice_id)
            .order_by(ContractSettlement.contract_id))
    return list(session.execute(stmt).scalars())


def invoice_totals(session: Session, invoice_ids: Collection[int]
                   ) -> dict[int, tuple[int, int, int, int]]:
    """Per invoice: (charge, voucher, buyer, uncovered) in fen."""
    s = ContractSettlement
    stmt = (select(s.invoice_id, func.sum(s.charge_fen), func.sum(s.voucher_fen),
                   func.sum(s.buyer_fen), func.sum(s.uncovered_fen))
            .where(s.invoice_id.in_(sorted(invoice_ids))).group_by(s.invoice_id))
    return {i: (int(a or 0), int(b or 0), int(c or 0), int(d or 0))
            for i, a, b, c, d in session.execute(stmt)}


def statement_lines(session: Session, provider_org_id: int, since: date, until: date
                    ) -> list[ContractSettlement]:
    """A provider's settlements for the days since..until (inclusive)."""
    stmt = (select(ContractSettlement)
            .where(ContractSettlement.provider_org_id == provider_org_id,
                   ContractSettlement.period >= since, ContractSettlement.period <= until)
            .order_by(ContractSettlement.period, ContractSettlement.contract_id))
    return list(session.execute(stmt).scalars())


def claims_by_settlement(session: Session, settlement_ids: Collection[int]
                         ) -> dict[int, Claim]:
    stmt = select(Claim).where(Claim.settlement_id.in_(sorted(settlement_ids)))
    return {c.settlement_id: c for c in session.execute(stmt).scalars()}


def claim(session: Session, claim_id: int, *, lock: bool = False) -> Claim | None:
    stmt = select(Claim).where(Claim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def claims(session: Session, *, authority_ids: Collection[int] | None,
           claimant_ids: Collection[int] | None, status: str | None, limit: int, offset: int
           ) -> tuple[list[Claim], int]:
    """Claims of these authorities or by these claimants (both None: all)."""
    stmt = select(Claim).order_by(Claim.id.desc())
    if authority_ids is not None or claimant_ids is not None:
        stmt = stmt.where(Claim.authority_org_id.in_(sorted(authority_ids or ()))
                          | Claim.claimant_org_id.in_(sorted(claimant_ids or ())))
    if status:
        stmt = stmt.where(Claim.status == status)
    return paged(session, stmt, limit=limit, offset=offset)


def pending_claims_of(session: Session, contract_id: int) -> list[Claim]:
    stmt = select(Claim).where(Claim.contract_id == contract_id,
                               Claim.status == ClaimStatus.SUBMITTED)
    return list(session.execute(stmt).scalars())


def org_names(session: Session, org_ids: Collection[int]) -> dict[int, str]:
    from suanli.auth.models import Organisation

    if not org_ids:
        return {}
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(sorted(org_ids)))
    return {i: n for i, n in session.execute(stmt)}


def providers_with_settlements(session: Session) -> list[int]:
    stmt = select(ContractSettlement.provider_org_id).distinct()
    return sorted(int(i) for i in session.execute(stmt).scalars())


def decided_claims(session: Session) -> int:
    stmt = select(func.count()).where(Claim.status != ClaimStatus.SUBMITTED)
    return int(session.execute(stmt).scalar_one())
