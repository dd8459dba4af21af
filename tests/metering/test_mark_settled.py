"""Marking records settled is one set-based UPDATE, whatever the number of records
(issue 14: chunked ORM updates with session synchronisation were quadratic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from suanli.metering import repository
from suanli.metering.models import UsageRecord
from tests.settlement.usage import use
from tests.settlement.world import build_world, org_maker


@contextmanager
def _updates(db: Session) -> Iterator[list[str]]:
    """The UPDATEs of usage_records sent inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE USAGE_RECORDS"):
            seen.append(statement)

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", note)


def test_one_update_marks_exactly_the_unsettled_records_given(db: Session) -> None:
    world = build_world(db, org_maker(db))
    use(db, world, *[(m / 60, (m + 1) / 60, 1) for m in range(1200)])  # 1,200 records
    records = list(db.execute(select(UsageRecord).order_by(UsageRecord.id)).scalars())
    assert len(records) == 1200
    records[0].settlement_id = 7  # billed before: left as it is
    db.flush()
    chosen = [r.id for r in records[:1100]]
    with _updates(db) as seen:
        repository.mark_settled(db, chosen, 99)
    assert len(seen) == 1, seen  # set-based: not one statement per chunk or row
    assert records[5].settlement_id == 99  # the loaded objects see it, not marked changed
    assert not db.dirty
    db.expire_all()
    stored = {i: s for i, s in db.execute(select(UsageRecord.id, UsageRecord.settlement_id))}
    assert stored[records[0].id] == 7
    assert [stored[r.id] for r in records[1:1100]] == [99] * 1099
    assert [stored[r.id] for r in records[1100:]] == [None] * 100

