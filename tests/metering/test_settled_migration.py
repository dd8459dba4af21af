"""The migration to settlement marks keeps which settlement billed each record: down (a
column on every record, filled from the marks) and up again (the marks, rebuilt from it)."""

from __future__ import annotations

from sqlalchemy import select, text

from suanli import migrate
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.metering import repository
from suanli.metering.models import UsageRecord
from suanli.settlement import service
from tests.settlement.committed import committed_world
from tests.settlement.usage import use


def _billed_by(url: str) -> tuple[dict[str, int], list[bool]]:
    """Record reference -> the settlement that billed it; which marks have no end."""
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        records = list(s.execute(select(UsageRecord)).scalars())
        by_id = repository.settlements_of(s, records)
        marks = repository.marks(s, records[0].contract_id)
        out = {r.source_ref: by_id[r.id] for r in records}, [m.until is None for m in marks]
    engine.dispose()
    return out


def test_which_settlement_billed_each_record_survives_down_and_up(fresh_database: str
                                                                  ) -> None:
    world = committed_world(fresh_database)
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        use(s, world, (1, 2, 8), (30, 31, 8), ref="a")  # day 1's and day 2's usage
        day1 = service.settle_period(s, period_end=world.day1)
    with unit_of_work(factory) as s:
        use(s, world, (3, 4, 8), ref="late")  # day 1's, reported after day 1 was settled
        service.settle_period(s, period_end=world.day2)  # the last day: final
    engine.dispose()
    assert day1.settled == 1
    before, ends = _billed_by(fresh_database)
    assert len(set(before.values())) == 2 and before["a-1"] == before["late-0"]
    assert ends == [False, True]

    migrate.downgrade(fresh_database, "metering_i18_model_1")
    with engine.connect() as conn:
        column = {ref: sid for ref, sid in conn.execute(text(
            "SELECT source_ref, settlement_id FROM usage_records"))}
    engine.dispose()
    assert column == before

    migrate.upgrade(fresh_database)
    assert _billed_by(fresh_database) == (before, ends)
