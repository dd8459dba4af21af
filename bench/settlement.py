"""Settling one day of N usage records of one contract, beside a raw insert of the same
rows measured in the same run, on SQLite (and PostgreSQL with --pg URL); with --probe, the
latency of GET requests served meanwhile.

    .venv/bin/python bench/settlement.py                      # 20,000 records, SQLite
    .venv/bin/python bench/settlement.py --records 20000,100000,500000 --probe \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The world is the settlement tests' (a city program's voucher, a funded buyer, an attested
cluster, an 8-GPU contract over two whole days, built by the real services). N records of
one GPU-second each are stored for its first day with SQLAlchemy Core INSERTs of 10,000
rows a statement, in one transaction: that insert is the baseline. Then the real
`settlement.service.settle_period` settles the day (counts and sums the records in SQL,
prices them, moves the voucher's and the buyer's holds, marks the records settled, opens
the claim) in one transaction. Printed: both times, the ratio settle / insert, and the time
spent in `metering.repository.unsettled` + `mark_settled` (once 500,000 ORM objects and a
rewrite of every record). Linear means the ratio stays flat as N grows.

--probe (for the largest N): a Suanli server (uvicorn, one worker, its own process, as in
production beside the worker) is started on the database; one client sends GET requests
back to back (`/api/v1/me` and the buyer's invoices, alternately, 5 ms apart) for 3 s
before the settlement (idle) and throughout it; printed: p50 / p99 / max of each. This
asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' world builder

from bench.http_load import server
from bench.scratch import scratch_database
from sqlalchemy import insert, select
from tests.settlement.committed import committed_world

from suanli import migrate
from suanli.auth import service as auth_service
from suanli.auth.roles import Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.metering import repository as metering_repo
from suanli.metering.models import UsageBatch, UsageRecord
from suanli.models_registry import load_all_models
from suanli.settlement import service as settlement
from suanli.settlement.models import ContractSettlement

CHUNK = 10_000
load_all_models()


def rows(world: Any, batch_id: int, n: int) -> Iterator[list[dict[str, Any]]]:
    """n one-second, one-GPU records spread over the contract's GPUs in its first day."""
    uuids, now = world.uuids[:world.contract.gpus], datetime.now(UTC)
    for first in range(0, n, CHUNK):
        chunk = []
        for i in range(first, min(first + CHUNK, n)):
            start = world.start + timedelta(seconds=i // len(uuids))
            chunk.append({"batch_id": batch_id, "contract_id": world.contract.id,
                          "provider_org_id": world.contract.provider_org_id, "source": "bench",
                          "source_ref": str(i), "gpu_uuid": uuids[i % len(uuids)], "gpus": 1,
                          "started_at": start, "ended_at": start + timedelta(seconds=1),
                          "gpu_seconds": 1, "billable_gpu_seconds": 1, "utilisation_pct": None,
                          "hostname": None, "line": i + 1, "flags": [], "created_at": now})
        yield chunk


@contextmanager
def timing(spent: dict[str, float], module: Any, *names: str) -> Iterator[None]:
    """Add the time spent in these functions of `module` to `spent[name]`."""
    originals = {name: getattr(module, name) for name in names}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - began
        return call

    for name, fn in originals.items():
        setattr(module, name, timed(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


class Probe:
    """One client sending GETs back to back in a thread: (seconds since start, latency)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.seen = port, list[tuple[float, float, int]]()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.paths = ["/api/v1/me", "/api/v1/settlement/invoices?limit=20"]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        n = 0
        while not self.stop.is_set():
            began = time.perf_counter()
            conn.request("GET", self.paths[n % 2], headers=self.headers)
            response = conn.getresponse()
            response.read()
            self.seen.append((began, time.perf_counter() - began, response.status))
            n += 1
            time.sleep(0.005)

    def window(self, since: float, until: float) -> dict[str, float]:
        got = sorted(d for t, d, _ in self.seen if since <= t <= until)
        bad = sum(1 for t, _, status in self.seen if since <= t <= until and status != 200)
        if not got:
            return {"n": 0, "p50": 0.0, "p99": 0.0, "max": 0.0, "bad": bad}
        def pct(q: float) -> float:
            return got[min(len(got) - 1, int(q * len(got)))] * 1000
        return {"n": len(got), "p50": pct(0.5), "p99": pct(0.99), "max": got[-1] * 1000,
                "bad": bad}


def prepare(url: str, n: int) -> tuple[Any, Any, float]:
    """The world and N records of its first day; (world, sessions, insert seconds)."""
    migrate.upgrade(url)
    world = committed_world(url)
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as s:
        batch = UsageBatch(run="bench", source="bench", channel="file", accepted=n,
                           duplicates=0, rejected=0, flagged=0, errors=[], created_by="bench")
        s.add(batch)
        s.flush()
        batch_id = batch.id
    chunks = list(rows(world, batch_id, n))
    started = time.perf_counter()
    with unit_of_work(factory) as s:
        for chunk in chunks:
            s.execute(insert(UsageRecord.__table__), chunk)
    return world, factory, time.perf_counter() - started


def settle(world: Any, factory: Any, n: int) -> dict[str, float]:
    spent: dict[str, float] = {}
    with timing(spent, metering_repo, "unsettled", "mark_settled"):
        started = time.perf_counter()
        with unit_of_work(factory) as s:
            report = settlement.settle_period(s, period_end=world.day1)
        spent["settle"] = time.perf_counter() - started
    assert report.settled == 1, report
    with unit_of_work(factory) as s:
        billed = s.execute(select(ContractSettlement.records)).scalar_one()
    assert billed == n, (billed, n)
    return spent


def token_of_buyer(factory: Any, world: Any) -> str:
    with unit_of_work(factory) as s:
        user = auth_service.create_user(s, username="probe", display_name="Probe",
                                        password="correct horse battery",
                                        memberships=[(world.buyer.org_slug, Role.BUYER)])
        return auth_service.issue_token(s, user=user, name="probe").secret


def run(url: str, n: int, probe: bool) -> dict[str, Any]:
    world, factory, inserted = prepare(url, n)
    if not probe:
        return {"insert": inserted, **settle(world, factory, n)}
    token = token_of_buyer(factory, world)
    env = {"SUANLI_DATABASE_URL": url, "SUANLI_SECRET_KEY": "bench",
           "SUANLI_DATA_DIR": tempfile.mkdtemp(), "SUANLI_LOG_LEVEL": "warning"}
    with server("suanli.app:create_app", env) as (port, _):
        client = Probe(port, token)
        client.thread.start()
        deadline = time.monotonic() + 120
        while len(client.seen) < 20 and time.monotonic() < deadline:  # warm-up
            time.sleep(0.1)
        idle_from = time.perf_counter()
        time.sleep(3.0)
        began = time.perf_counter()
        got = settle(world, factory, n)
        ended = time.perf_counter()
        client.stop.set()
        client.thread.join(130)
    return {"insert": inserted, **got, "idle": client.window(idle_from, began),
            "during": client.window(began, ended)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", default="20000",
                        help="comma-separated record counts, e.g. 20000,100000,500000")
    parser.add_argument("--pg", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--only-pg", action="store_true", help="skip SQLite")
    parser.add_argument("--probe", action="store_true",
                        help="GET latency while the largest N settles")
    args = parser.parse_args()
    sizes = [int(x) for x in args.records.split(",")]
    backends = ([] if args.only_pg else [("sqlite", None)]) + (
        [("postgresql", args.pg)] if args.pg else [])
    print(f"{'database':<11} {'records':>9} {'insert s':>9} {'settle s':>9} "
          f"{'settle/insert':>13} {'unsettled s':>11} {'mark s':>7}", flush=True)
    probes = []
    for name, pg in backends:
        for n in sizes:
            with scratch_database(pg) as url:
                got = run(url, n, args.probe and n == max(sizes))
            print(f"{name:<11} {n:>9,} {got['insert']:>9.2f} {got['settle']:>9.2f} "
                  f"{got['settle'] / got['insert']:>13.3f} {got.get('unsettled', 0):>11.2f} "
                  f"{got.get('mark_settled', 0):>7.3f}", flush=True)
            if "during" in got:
                probes.append((name, n, got))
    for name, n, got in probes:
        for when in ("idle", "during"):
            w = got[when]
            print(f"probe {name} {n:,} {when:<6}: {w['n']:>5} GETs, p50 {w['p50']:.1f} ms, "
                  f"p99 {w['p99']:.1f} ms, max {w['max']:.1f} ms, non-200 {w['bad']}",
                  flush=True)


if __name__ == "__main__":
    main()
