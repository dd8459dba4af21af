"""Benchmark of `suanli demo` (not a test): the small world, the full world with its
ninety days of history, and a second run of the full world (which must add nothing).

Each build runs `suanli demo --no-serve` as the README does, in a fresh process on a fresh
database (SQLite in a scratch folder, or a new PostgreSQL database with --postgresql URL).
Wall and CPU seconds (the CPU time of the build process, which the load of a shared
machine does not stretch); ratios are against the --small build of the same run.

    .venv/bin/python bench/demo.py [--postgresql URL] [--skip-full]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# table: its column's heading
TABLES = {"market_contracts": "contracts", "market_rounds": "rounds", "usage_records": "usage",
          "invoices": "invoices", "reimbursement_claims": "claims",
          "applications": "applics", "vouchers": "vouchers", "ledger_transfers": "transfers",
          "audit_records": "audit"}


def build(url: str, data: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the process) one `suanli demo --no-serve
    ARGS` took (raises when it failed). CPU time is what a shared machine's load does not
    stretch; the database server's own CPU (PostgreSQL) is not in it."""
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(data),
           "COLUMNS": "120"}
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-c", "from suanli.cli import main; main()", "demo",
                           "--no-serve", *args], env=env, capture_output=True, text=True,
                          check=False)
    took = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"suanli demo {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                    for t in TABLES}
    finally:
        engine.dispose()


def fresh(base: str | None, folder: Path, name: str) -> str:
    """A new empty database: a SQLite file, or a PostgreSQL database on the server."""
    if base is None:
        return f"sqlite:///{folder / (name + '.db')}"
    db = f"bench_demo_{name}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    engine.dispose()
    return make_url(base).set(database=db).render_as_string(hide_password=False)


def drop(base: str | None, url: str) -> None:
    if base is None:
        return
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", metavar="URL", help="a PostgreSQL server to build on")
    parser.add_argument("--skip-full", action="store_true", help="only the small world")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suanli-bench-demo-") as scratch:
        folder = Path(scratch)
        small_url = fresh(args.postgresql, folder, "small")
        small = build(small_url, folder, "--small")
        rows = [("--small", *small, counts(small_url))]
        if not args.skip_full:
            full_url = fresh(args.postgresql, folder, "full")
            rows.append(("full", *build(full_url, folder), counts(full_url)))
            before = rows[-1][3]
            rows.append(("full, second run", *build(full_url, folder), counts(full_url)))
            drop(args.postgresql, full_url)
            if rows[-1][3] != before:
                raise SystemExit(f"the second run added rows: {before} -> {rows[-1][3]}")
        drop(args.postgresql, small_url)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'build':<18} {'wall s':>7} {'x small':>7} {'cpu s':>6} {'x small':>7}  "
          + " ".join(f"{h:>9}" for h in TABLES.values()))
    for label, wall, cpu, counted in rows:
        print(f"{label:<18} {wall:7.1f} {wall / small[0]:7.2f} {cpu:6.1f} {cpu / small[1]:7.2f}  "
              + " ".join(f"{counted[t]:>9,}" for t in TABLES))

if __name__ == "__main__":
    main()
