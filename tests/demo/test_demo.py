"""`suanli demo --small` end to end, as the README runs it: the world, then the ledger and
the audit chain verify, a second run adds nothing, --reset starts over, and then the
README's usage file imports onto a contract running today."""

from __future__ import annotations

import os
import re
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
    first = _suanli(url, tmp_path, "demo", "--no-serve", "--small")
    assert first.returncode == 0, first.stderr[-3000:]
    for username in ("admin", "bureau", "reviewer", "reviewer2", "buyer", "buyer2", "provider",
                     "provider2", "auditor", "founder"):
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
    again = _suanli(url, tmp_path, "demo", "--no-serve", "--small")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _counts(url) == built  # nothing duplicated, not even an audit record

    reset = _suanli(url, tmp_path, "demo", "--no-serve", "--small", "--reset")
    assert reset.returncode == 0, reset.stderr[-3000:]
    after = _counts(url)
    assert {k: v for k, v in after.items() if k != "audit_records"} == {
        k: v for k, v in built.items() if k != "audit_records"}
    done = _suanli(url, tmp_path, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    readme_usage_bills_on_a_contract_running_today(url, tmp_path)  # on the rebuilt world


def readme_usage_snippet() -> str:
    """The shell block of README "The demo" that writes and imports `usage.jsonl`."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The demo\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return next(b for b in blocks if "usage.jsonl" in b)


def readme_usage_bills_on_a_contract_running_today(url: str, tmp_path: Path) -> None:
    """The README's usage file, run as written on a freshly built demo: its rows land on
    acme-ai's running contract, all of them billable."""
    # The README calls .venv/bin/suanli from the checkout; here that is this interpreter.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    wrapper = tmp_path / ".venv" / "bin" / "suanli"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -c "from suanli.cli import main; '
                       f'main()" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(tmp_path),
           "COLUMNS": "200"}
    done = subprocess.run(["bash", "-euc", readme_usage_snippet()], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 accepted (stored)" in done.stdout and "0 flagged" in done.stdout, done.stdout
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT o.slug, c.state, count(*), sum(u.billable_gpu_seconds) "
                "FROM usage_records u "
                "JOIN market_contracts c ON c.id = u.contract_id "
                "JOIN organisations o ON o.id = c.buyer_org_id "
                "WHERE u.source_ref LIKE 'job-41%' GROUP BY o.slug, c.state")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("acme-ai", "running", 8, 8 * 2 * 3600)]


def test_the_readme_lists_every_demo_login() -> None:
    from suanli.demo.build import USERS

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The demo\n", 1)[1].split("\n## ", 1)[0]
    listed = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"^\| `([a-z0-9]+)` \| ([a-z_]+) \| ([a-z0-9-]+) \|", section, flags=re.MULTILINE)}
    assert listed == {username: (str(role), org) for username, _, org, role in USERS}
