"""After a crash: the books verify and nothing is half-written; their totals, to compare a
faulted run with one never killed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger.models import Hold, Transfer
from suanli.ledger.verify import verify
from suanli.market.capacity_check import verify_capacity
from suanli.market.models import Contract, ContractSource, Round, RoundStatus
from suanli.metering.models import UsageRecord
from suanli.settlement.models import ContractSettlement

Totals = dict[str, object]


def whole(url: str, when: str) -> Totals:
    """Assert the books on `url` verify and hold nothing half-written; their totals."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            _verify(session, when)
            _nothing_half_written(session, when)
            return _totals(session)
    finally:
        engine.dispose()


def _verify(session: Session, when: str) -> None:
    ledger = verify(session)
    assert ledger.ok, f"{when}: ledger: {ledger.problem}"
    chain = audit.verify(session)
    assert chain.ok, f"{when}: audit chain: {chain.problem}"
    capacity = verify_capacity(session)
    assert capacity.ok, f"{when}: capacity: {capacity.problem}"


def _nothing_half_written(session: Session, when: str) -> None:
    transfers = set(session.execute(select(Transfer.id)).scalars())
    holds = set(session.execute(select(Hold.transfer_id)).scalars())
    for s in session.execute(select(ContractSettlement)).scalars():
        missing = set(s.transfer_ids) - transfers
        assert not missing, f"{when}: settlement {s.id} without its transfers {missing}"
    for c in session.execute(select(Contract)).scalars():
        ids = {i for i in (c.voucher_hold_id, c.buyer_hold_id) if i}
        assert ids or c.cost_fen == 0, f"{when}: contract {c.id} without holds"
        assert ids <= holds, f"{when}: contract {c.id} names holds {ids - holds} not there"
    for r in session.execute(select(Round)).scalars():
        assert r.status != RoundStatus.RUNNING, f"{when}: round {r.id} left running"
        written = session.scalar(select(func.count()).where(Contract.round_id == r.id))
        assert written == r.contracts_written, f"{when}: round {r.id} half applied"


def _totals(session: Session) -> Totals:
    """Counts and sums that do not depend on ids or on when things ran."""
    round_contracts = session.execute(
        select(Contract.order_id, Contract.gpus, Contract.cost_fen)
        .where(Contract.source == ContractSource.ROUND)).all()
    orders = [row[0] for row in round_contracts]
    assert len(orders) == len(set(orders)), f"an order matched twice: {sorted(orders)}"
    settled = session.execute(select(ContractSettlement.period, ContractSettlement.final,
                                     ContractSettlement.charge_fen,
                                     ContractSettlement.voucher_fen,
                                     ContractSettlement.buyer_fen)).all()
    usage = session.execute(select(func.count(), func.sum(UsageRecord.gpus))).one()
    return {
        "round contracts": sorted((g, c) for _, g, c in round_contracts),
        "settlements": sorted(tuple(row) for row in settled),
        "usage records": tuple(usage),
        "transfers": session.scalar(select(func.count()).select_from(Transfer)),
        "moved": session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0))),
    }
