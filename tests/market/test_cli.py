"""`suanli market round`, `suanli market rerun` and `suanli worker` on a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from suanli.kit.db import unit_of_work
from suanli.market import orders_service
from suanli.market.schemas import OrderCreate
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    fresh_world,
    order_body,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def on_fresh(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_round_rerun_and_worker_commands(on_fresh: str) -> None:
    world = fresh_world(on_fresh)
    with unit_of_work(world.factory) as session:
        orders_service.place_order(session, data=OrderCreate(**order_body()),
                                   org_ids={world.buyer_org_id}, user_id=None)
    runner = CliRunner()
    done = runner.invoke(app, ["market", "round", "--slots", "48", "--time-limit", "10"])
    assert done.exit_code == 0, done.output
    assert "round 1 completed: 1 contracts written, 0 orders left out" in done.output
    again = runner.invoke(app, ["market", "rerun", "1"])
    assert again.exit_code == 0 and "re-clears to the same result" in again.output
    missing = runner.invoke(app, ["market", "rerun", "99"])
    assert missing.exit_code == 2 and "error: round_id: no round 99" in missing.output
    bad = runner.invoke(app, ["market", "round", "--start", "2026-12-01T00:30:00+08:00"])
    assert bad.exit_code == 2 and bad.output.strip() == "error: --start: must be a whole hour"
    worker = runner.invoke(app, ["worker", "--once", "--every", "60"])
    assert worker.exit_code == 0, worker.output
    assert "round 2" not in worker.output  # a round ran a moment ago: none is due
