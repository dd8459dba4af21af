"""`suanli demo` end to end, as the README runs it: the whole world, then the ledger and
the audit chain verify, a second run adds nothing, and --reset starts over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from suanli.demo.summary import COUNTED
from suanli.kit.db import make_engine

HUBS_WITH_CAPACITY = 8  # the demo lists capacity in most of the ten hubs


def _suanli(url: str, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(data),
           "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-c", "from suanli.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env=env, check=False)


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {model.__tablename__: int(conn.execute(
                text(f"SELECT count(*) FROM {model.__tablename__}")).scalar_one())
                for _, model in COUNTED}
    finally:
        engine.dispose()


def _facts(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def one(sql: str) -> object:
                return conn.execute(text(sql)).scalar_one()
            return {
                "usage formats": sorted(conn.execute(
                    text("SELECT DISTINCT source FROM usage_batches")).scalars()),
                "hubs": one("SELECT count(DISTINCT hub_id) FROM data_centres"),
                "state": one("SELECT count(*) FROM data_centres WHERE operator_type='state'"),
                "commercial": one(
                    "SELECT count(*) FROM data_centres WHERE operator_type='commercial'"),
                "domestic clusters": one(
                    "SELECT count(*) FROM clusters c JOIN accelerators a "
                    "ON a.model = c.accelerator_model WHERE a.domestic"),
                "foreign clusters": one(
                    "SELECT count(*) FROM clusters c JOIN accelerators a "
                    "ON a.model = c.accelerator_model WHERE NOT a.domestic"),
                "statuses": sorted(conn.execute(
                    text("SELECT DISTINCT status FROM applications")).scalars()),
                "rounds": one("SELECT count(*) FROM market_rounds WHERE status='completed'"),
                "claims": one("SELECT count(*) FROM reimbursement_claims"),
            }
    finally:
        engine.dispose()


def test_the_whole_demo_builds_verifies_and_runs_twice(fresh_database: str,
                                                       tmp_path: Path) -> None:
    url = fresh_database
    first = _suanli(url, tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr[-3000:]
    for username in ("admin", "bureau", "reviewer", "buyer", "provider", "auditor"):
        assert f" {username} " in first.stdout
    assert "The demo world" in first.stdout and "suanli-demo-2026" in first.stdout
    facts = _facts(url)
    assert facts["usage formats"] == ["json", "prometheus", "sacct"]
    assert isinstance(facts["hubs"], int) and facts["hubs"] >= HUBS_WITH_CAPACITY
    assert facts["state"] and facts["commercial"]
    assert facts["domestic clusters"] and facts["foreign clusters"]
    assert {"voucher_issued", "rejected", "needs_review"} <= set(facts["statuses"])  # type: ignore[arg-type]
    assert facts["rounds"] == 1 and facts["claims"]

    for check in (("ledger", "verify"), ("audit", "verify")):
        done = _suanli(url, tmp_path, *check)
        assert done.returncode == 0, done.stdout + done.stderr

    built = _counts(url)
    assert all(built.values()), built
    again = _suanli(url, tmp_path, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _counts(url) == built  # nothing duplicated, not even an audit record

    reset = _suanli(url, tmp_path, "demo", "--no-serve", "--reset")
    assert reset.returncode == 0, reset.stderr[-3000:]
    after = _counts(url)
    assert {k: v for k, v in after.items() if k != "audit_records"} == {
        k: v for k, v in built.items() if k != "audit_records"}
    done = _suanli(url, tmp_path, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
