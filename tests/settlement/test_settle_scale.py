"""Settling a day costs the same statements whatever its number of usage records: nothing
is loaded or rewritten per record (issue 14: 500,000 ORM objects and a rewrite of every
record made a day of 500,000 records take 95 s)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from suanli.metering.models import UsageRecord
from suanli.settlement import service
from suanli.settlement.charges import period_bounds
from suanli.settlement.models import Claim, ContractSettlement
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker


@contextmanager
def _watch(db: Session) -> Iterator[dict[str, Any]]:
    """The statements sent and the usage records loaded as objects inside the block."""
    seen: dict[str, Any] = {"statements": [], "loaded": 0}

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen["statements"].append(" ".join(statement.split()).upper())

    def loaded(*_args: Any) -> None:
        seen["loaded"] += 1

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", note)
    event.listen(UsageRecord, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", note)
        event.remove(UsageRecord, "load", loaded)


def _settle_day1(db: Session, world: World) -> dict[str, Any]:
    db.flush()  # what reporting the usage left to write is not the settlement's
    with _watch(db) as seen:
        done, new = service.settle_contract(db, contract=world.contract, period=world.day1,
                                            final=False, until=period_bounds(world.day1)[1])
    assert new and done is not None
    return seen


def test_statements_do_not_grow_with_the_records_of_a_day(db: Session) -> None:
    few, many = build_world(db, org_maker(db)), build_world(db, org_maker(db))
    use(db, few, *[(m / 70, (m + 1) / 70, 1) for m in range(5)])
    use(db, many, *[(m / 70, (m + 1) / 70, 1) for m in range(1500)])
    small, large = _settle_day1(db, few), _settle_day1(db, many)
    assert len(large["statements"]) == len(small["statements"]), (
        len(small["statements"]), len(large["statements"]))
    assert small["loaded"] == large["loaded"] == 0  # no UsageRecord object built
    rewrites = [s for s in large["statements"]
                if s.startswith(("UPDATE USAGE_RECORDS", "INSERT INTO USAGE_RECORDS"))]
    assert rewrites == []
    row = db.query(ContractSettlement).filter_by(contract_id=many.contract.id).one()
    billable = db.execute(select(func.sum(UsageRecord.billable_gpu_seconds)).where(
        UsageRecord.contract_id == many.contract.id)).scalar_one()
    assert (row.records, row.gpu_seconds) == (1500, billable)
    claim = db.query(Claim).filter_by(settlement_id=row.id).one()
    usage = claim.evidence["usage"]
    assert usage["records"] == 1500 and len(usage["record_ids"]) == 1000  # the first ones
