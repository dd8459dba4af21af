"""`suanli settlement settle` says what it could not settle, and exits 1 for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger import service as ledger
from tests.settlement.committed import committed_world
from tests.settlement.usage import use
from tests.settlement.world import World


@pytest.fixture
def world(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    w = committed_world(fresh_database)
    yield w
    get_settings.cache_clear()


def test_a_lapsed_hold_nobody_can_cover_exits_1_naming_it(world: World,
                                                           fresh_database: str) -> None:
    with unit_of_work(make_sessionmaker(make_engine(fresh_database))) as session:
        use(session, world, (0, 24, 8))
        ledger.expire_holds(session, now=world.contract.end_at + timedelta(days=15))
        cash = f"buyer-cash:{world.buyer.org_slug}"
        ledger.transfer(session, id="refund", debit=cash,
                        credit=f"buyer-deposit:{world.buyer.org_slug}",
                        amount=ledger.balance(session, cash).available, reason="refund")
    result = CliRunner().invoke(app, ["settlement", "settle", "--period-end",
                                      str(world.day1)])
    assert result.exit_code == 1
    assert "0 contracts settled" in result.stdout
    assert f"not settled: contract {world.contract.id}: its" in result.stdout
    assert "lapsed holds" in result.stderr
