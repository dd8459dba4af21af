"""Ledger throughput: transfers per second beside a baseline measured in the same run on
the same database.

    .venv/bin/python bench/ledger.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/ledger.py --only sqlite --seconds 3 --rounds 3
    .venv/bin/python bench/ledger.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Workloads: single transfers (one transfer per transaction, through `ledger.transfer` in a
`unit_of_work`, as other domains call it) and linked batches of 100 (`ledger.batch`), random
pairs among many accounts that may not go negative. Baselines: on SQLite, plain single-row
INSERTs with one transaction per row on the same file with the same pragmas (WAL,
synchronous=FULL, BEGIN IMMEDIATE); on PostgreSQL, pgbench's built-in TPC-B-like script on
the same database (`pgbench -i -s 10`, then `-T SECONDS -c CLIENTS`). Rounds are interleaved
(baseline, single, batch, ...) so that noise from the machine hits all alike; the medians
are printed. Two rows are for reading the others: the floor (one INSERT per `unit_of_work`,
what the platform's session machinery costs) and, on SQLite, the ceiling (a transfer's own
statements sent straight to sqlite3, what the schema and the fsync cost). This is a
benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from suanli import migrate
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.posting import AccountKind, TransferSpec
from suanli.models_registry import load_all_models

ACCOUNTS = 1000
BATCH = 100
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


load_all_models()  # a flush sorts every table by its foreign keys

def setup_accounts(url: str) -> None:
    """A treasury and ACCOUNTS buyer accounts that may not go negative, each funded."""
    sessions = make_sessionmaker(make_engine(url))
    with unit_of_work(sessions) as session:
        ledger.open_account(session, code="bench:treasury", kind=AccountKind.TREASURY,
                            owner_org_id=None, name="Bench treasury")
        for i in range(ACCOUNTS):
            ledger.open_account(session, code=f"bench:{i}", kind=AccountKind.BUYER_CASH,
                                owner_org_id=None, name=f"Bench {i}",
                                debits_must_not_exceed_credits=True)
    with unit_of_work(sessions) as session:
        ledger.batch(session, [
            TransferSpec.transfer(id=f"bench-fund-{i}", debit="bench:treasury",
                                  credit=f"bench:{i}", amount=10**12, reason="bench")
            for i in range(ACCOUNTS)])


def _pair(rnd: random.Random) -> tuple[str, str]:
    a, b = rnd.sample(range(ACCOUNTS), 2)
    return f"bench:{a}", f"bench:{b}"


def run_single(url: str, seconds: float, seed: int) -> float:
    """Single transfers, one per transaction, for `seconds`: transfers per second."""
    sessions = make_sessionmaker(make_engine(url))
    rnd, tag, n = random.Random(seed), uuid.uuid4().hex[:8], 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        debit, credit = _pair(rnd)
        with unit_of_work(sessions) as session:
            ledger.transfer(session, id=f"s-{tag}-{n}", debit=debit, credit=credit, amount=1,
                            reason="bench")
        n += 1
    return n / (time.perf_counter() - start)


def run_batches(url: str, seconds: float, seed: int) -> float:
    """Linked batches of BATCH transfers, one batch per transaction: transfers per second."""
    sessions = make_sessionmaker(make_engine(url))
    rnd, tag, n = random.Random(seed), uuid.uuid4().hex[:8], 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        specs = []
        for j in range(BATCH):
            debit, credit = _pair(rnd)
            specs.append(TransferSpec.transfer(id=f"b-{tag}-{n}-{j}", debit=debit,
                                               credit=credit, amount=1, reason="bench"))
        with unit_of_work(sessions) as session:
            ledger.batch(session, specs)
        n += 1
    return n * BATCH / (time.perf_counter() - start)


def run_floor(url: str, seconds: float) -> float:
    """The platform's floor: one single-row INSERT per `unit_of_work`, through the same
    engine and Session machinery the ledger runs in (for reading the ratios, not an aim)."""
    sessions = make_sessionmaker(make_engine(url))
    with unit_of_work(sessions) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS bench_floor "
                             "(id BIGINT PRIMARY KEY, amount BIGINT, note VARCHAR(20))"))
    n, base = 0, random.randrange(10**12)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        with unit_of_work(sessions) as session:
            session.execute(text("INSERT INTO bench_floor (id, amount, note) "
                                 "VALUES (:id, :n, 'floor')"), {"id": base + n, "n": n})
        n += 1
    return n / (time.perf_counter() - start)


def _worker(args: tuple[str, float, int]) -> float:
    return run_single(*args)


def run_clients(url: str, seconds: float, clients: int) -> float:
    """Single transfers from `clients` processes at once: their summed transfers per second."""
    if clients == 1:
        return run_single(url, seconds, 1)
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        return sum(pool.map(_worker, [(url, seconds, seed) for seed in range(clients)]))


def sqlite_baseline(path: Path, seconds: float) -> float:
    """Plain single-row INSERTs, one transaction per row, same pragmas as the platform's."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_baseline "
                 "(id INTEGER PRIMARY KEY, amount INTEGER, note TEXT)")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_baseline (amount, note) VALUES (?, ?)", (n, "bench"))
        conn.execute("COMMIT")
        n += 1
    conn.close()
    return n / (time.perf_counter() - start)


def sqlite_raw_transfer(path: Path, seconds: float, seed: int) -> float:
    """The schema's own ceiling on SQLite: a transfer's statements sent straight to sqlite3,
    no platform code (lock both accounts, check the id, insert the transfer and its two
    entries, store both totals, commit), for reading the ratios, not an aim."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    rnd, tag, n = random.Random(seed), uuid.uuid4().hex[:8], 0
    when = datetime.now(UTC).isoformat(" ")
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        debit, credit = _pair(rnd)
        transfer_id = f"r-{tag}-{n}"
        conn.execute("BEGIN IMMEDIATE")
        (d, dp, cp, dv), (c, cdp, ccp, cv) = conn.execute(
            "SELECT id, debits_posted, credits_posted, version FROM ledger_accounts "
            "WHERE code IN (?, ?) ORDER BY code = ? DESC", (debit, credit, debit)).fetchall()
        conn.execute("SELECT id FROM ledger_transfers WHERE id = ?", (transfer_id,)).fetchall()
        conn.execute("INSERT INTO ledger_transfers (id, kind, debit_account_id, "
                     "credit_account_id, amount, reason, created_at) "
                     "VALUES (?, 'transfer', ?, ?, 1, 'bench', ?)", (transfer_id, d, c, when))
        conn.executemany("INSERT INTO ledger_entries VALUES (?, ?, ?, 0, ?, 0, ?)",
                         [(d, dv + 1, transfer_id, dp + 1, cp),
                          (c, cv + 1, transfer_id, cdp, ccp + 1)])
        conn.executemany("UPDATE ledger_accounts SET debits_posted = ?, credits_posted = ?, "
                         "version = ? WHERE id = ?",
                         [(dp + 1, cp, dv + 1, d), (cdp, ccp + 1, cv + 1, c)])
        conn.execute("COMMIT")
        n += 1
    conn.close()
    return n / (time.perf_counter() - start)


def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))
    return str(candidates[-1]) if candidates else None


def pgbench_args(url: str) -> list[str]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return [*args, u.database or "postgres"]


def pgbench_tps(binary: str, url: str, seconds: float, clients: int) -> float:
    """pgbench's TPC-B-like script on the same database: its tps."""
    env = {**os.environ, "PGPASSWORD": make_url(url).password or ""}
    out = subprocess.run([binary, "-n", "-T", str(int(seconds)), "-c", str(clients), "-j",
                          str(clients), *pgbench_args(url)], capture_output=True, text=True,
                         env=env, check=True).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if not match:
        raise RuntimeError(f"no tps in pgbench's output:\n{out}")
    return float(match.group(1))


Row = tuple[str, str, list[float], str, list[float], str]


def interleave(rounds: int, runs: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, fn in runs.items():
            results[name].append(fn())
            print(f"  round {r + 1}: {name}: {results[name][-1]:,.0f}/s", file=sys.stderr)
    return results


def bench_sqlite(seconds: float, rounds: int) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="suanli-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate.upgrade(url)
    setup_accounts(url)
    print(f"SQLite {sqlite3.sqlite_version} at {url}", file=sys.stderr)
    res = interleave(rounds, {
        "baseline": lambda: sqlite_baseline(tmp / "bench.db", seconds),
        "floor": lambda: run_floor(url, seconds),
        "raw": lambda: sqlite_raw_transfer(tmp / "bench.db", seconds, 9),
        "single": lambda: run_single(url, seconds, 7),
        "batch": lambda: run_batches(url, seconds, 8),
    })
    shutil.rmtree(tmp, ignore_errors=True)
    return [("sqlite", "single transfers, 1 client", res["single"],
             "INSERT, 1 row per transaction", res["baseline"], ">= 0.5x baseline"),
            ("sqlite", f"batches of {BATCH}, 1 client", res["batch"],
             "INSERT, 1 row per transaction", res["baseline"], ">= 10,000/s"),
            ("sqlite", "single transfers, 1 client", res["single"],
             "INSERT via unit_of_work (floor)", res["floor"], "(information)"),
            ("sqlite", "raw SQL transfers (ceiling)", res["raw"],
             "INSERT, 1 row per transaction", res["baseline"], "(information)")]


def bench_postgresql(admin_url: str, seconds: float, rounds: int, clients: int) -> list[Row]:
    binary = pgbench_binary()
    if binary is None:
        raise SystemExit("pgbench not found; install PostgreSQL's client tools")
    name = f"suanli_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        setup_accounts(url)
        subprocess.run([binary, "-i", "-s", "10", "-q", *pgbench_args(url)], check=True,
                       capture_output=True)
        print(f"PostgreSQL database {name}; pgbench at {binary}", file=sys.stderr)
        runs = {
            "pgbench c=1": lambda: pgbench_tps(binary, url, seconds, 1),
            "floor c=1": lambda: run_floor(url, seconds),
            "single c=1": lambda: run_clients(url, seconds, 1),
            "batch c=1": lambda: run_batches(url, seconds, 8),
        }
        if clients > 1:
            runs[f"pgbench c={clients}"] = lambda: pgbench_tps(binary, url, seconds, clients)
            runs[f"single c={clients}"] = lambda: run_clients(url, seconds, clients)
        res = interleave(rounds, runs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    rows: list[Row] = [
        ("postgresql", "single transfers, 1 client", res["single c=1"],
         "pgbench TPC-B, 1 client", res["pgbench c=1"], ">= 0.5x baseline"),
        ("postgresql", f"batches of {BATCH}, 1 client", res["batch c=1"],
         "pgbench TPC-B, 1 client", res["pgbench c=1"], ">= 10,000/s"),
        ("postgresql", "single transfers, 1 client", res["single c=1"],
         "INSERT via unit_of_work (floor)", res["floor c=1"], "(information)")]
    if clients > 1:
        rows.append(("postgresql", f"single transfers, {clients} clients",
                     res[f"single c={clients}"], f"pgbench TPC-B, {clients} clients",
                     res[f"pgbench c={clients}"], ">= 0.5x baseline"))
    return rows


def report(rows: list[Row]) -> None:
    header = (f"{'database':<11} {'workload':<30} {'transfers/s':>12} "
              f"{'baseline':<32} {'baseline/s':>11} {'ratio':>6}  aim")
    print(header)
    print("-" * len(header))
    for db, workload, values, base_name, base_values, aim in rows:
        ours, base = statistics.median(values), statistics.median(base_values)
        # Each round's ratio compares neighbouring measurements: fairer on a noisy machine.
        ratio = statistics.median(o / b for o, b in zip(values, base_values, strict=True))
        print(f"{db:<11} {workload:<30} {ours:>12,.0f} {base_name:<32} {base:>11,.0f} "
              f"{ratio:>6.2f}  {aim}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--clients", type=int, default=4,
                        help="also run single transfers and pgbench with this many clients")
    parser.add_argument("--pg-url", default=os.environ.get("SUANLI_TEST_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    rows: list[Row] = []
    if args.only in (None, "sqlite"):
        rows += bench_sqlite(args.seconds, args.rounds)
    if args.only in (None, "postgresql"):
        rows += bench_postgresql(args.pg_url, args.seconds, args.rounds, args.clients)
    load = os.getloadavg()[0]
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f}, {args.rounds} rounds of "
          f"{args.seconds:g} s; medians, and the median of each round's ratio:")
    report(rows)


if __name__ == "__main__":
    main()
