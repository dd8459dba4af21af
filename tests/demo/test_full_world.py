"""The full demo world (ninety days of history, then today), built once through the real
services: the dashboards' series are curves, every part of the history is there, and the
ledger and the audit chain verify. The one test that builds the full world."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from suanli.audit import service as audit
from suanli.demo import build, history
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import SHANGHAI, utcnow
from suanli.ledger.verify import verify as verify_ledger
from suanli.market.capacity_check import verify_capacity
from suanli.market.marketdata import price_index
from suanli.market.models import Round


@pytest.fixture
def full_world(fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from suanli.config import get_settings

    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    factory = make_sessionmaker(make_engine(fresh_database))
    for _label, step in build.FULL_STEPS:
        with unit_of_work(factory) as session:
            step(session)
    return fresh_database


def _one(conn: object, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one())  # type: ignore[attr-defined]


def test_the_full_world_has_a_quarter_of_history_that_verifies(full_world: str) -> None:
    engine = make_engine(full_world)
    factory = make_sessionmaker(engine)
    today = utcnow().astimezone(SHANGHAI).date()
    with factory() as session:
        rounds = session.execute(select(func.count()).select_from(Round)).scalar_one()
        assert rounds == history.DAYS + 1  # one a day, and the recent week's demo round
        # The price index moves: per model, prices over many days, declining across them.
        series: dict[str, list[tuple[object, int]]] = defaultdict(list)
        for point in price_index(session, days=history.DAYS + 1).points:
            series[point.model].append((point.day, point.price_fen))
        h20 = [price for day, price in series["h20"] if day < today - timedelta(days=2)]
        assert len(h20) >= 60, series["h20"]
        assert sum(h20[-7:]) / 7 < sum(h20[:7]) / 7 * 0.95  # the gentle decline
        assert len(series) >= 4
        assert audit.verify(session).ok
        assert verify_ledger(session).ok
        assert verify_capacity(session).ok
    with engine.connect() as conn:
        statuses = set(conn.execute(text("SELECT DISTINCT status FROM applications")).scalars())
        assert {"voucher_issued", "rejected", "needs_review", "approved"} & statuses >= {
            "voucher_issued", "rejected", "needs_review"}
        assert _one(conn, "SELECT count(*) FROM applications") >= 200
        assert _one(conn, "SELECT count(DISTINCT p.city) FROM applications a JOIN programs p "
                          "ON p.id = a.program_id") >= 17
        vouchers = set(conn.execute(text("SELECT DISTINCT status FROM vouchers")).scalars())
        assert {"active", "expired", "clawed_back"} <= vouchers
        assert set(conn.execute(text("SELECT DISTINCT source FROM usage_batches")).scalars()) \
            == {"sacct", "prometheus", "json"}
        assert {"approved", "rejected"} <= set(conn.execute(
            text("SELECT DISTINCT status FROM reimbursement_claims")).scalars())
        assert _one(conn, "SELECT count(DISTINCT period) FROM invoices") >= 70
        assert _one(conn, "SELECT count(*) FROM market_contracts WHERE source = 'instant'") >= 40
        running = _one(conn, "SELECT count(*) FROM market_contracts WHERE state = 'running'")
        assert running >= 3  # today's, one for each demo startup
        # The README's usage file names acme-ai's GPUs by UUID: the same as in the small world.
        placed = sorted(conn.execute(text(
            "SELECT g.gpu_uuid FROM market_contract_gpus g JOIN market_contracts c "
            "ON c.id = g.contract_id JOIN organisations o ON o.id = c.buyer_org_id "
            "WHERE o.slug = 'acme-ai' AND c.state = 'running'")).scalars())
        assert placed == [f"GPU-demo-0002-00-{i}" for i in range(8)]
    engine.dispose()
