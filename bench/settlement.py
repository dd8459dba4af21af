"""Settling one day of N usage records of one contract, beside a raw insert of the same
rows measured in the same run, on SQLite (and PostgreSQL with --pg URL).

    .venv/bin/python bench/settlement.py                      # 20,000 records, SQLite
    .venv/bin/python bench/settlement.py --records 500000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The world is the settlement tests' (a city program's voucher, a funded buyer, an attested
cluster, an 8-GPU contract over two whole days, built by the real services). N records of
one GPU-second each are stored for its first day with SQLAlchemy Core INSERTs of 10,000
rows a statement, in one transaction: that insert is the baseline. Then the real
`settlement.service.settle_period` settles the day (loads the records, prices them, moves
the voucher's and the buyer's holds, marks the records settled, opens the claim) in one
transaction. Printed: both times, the ratio settle / insert, and the time spent in
`metering.repository.mark_settled` (the part that was quadratic: 170 s of 174 s for
193,536 records). Linear means the ratio stays flat as N grows. This asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' world builder

from bench.scratch import scratch_database
from sqlalchemy import insert, text
from tests.settlement.committed import committed_world

from suanli import migrate
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.metering import repository as metering_repo
from suanli.metering.models import UsageBatch, UsageRecord
from suanli.models_registry import load_all_models
from suanli.settlement import service as settlement

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
                          "hostname": None, "line": i + 1, "flags": [], "settlement_id": None,
                          "created_at": now})
        yield chunk


def run(url: str, n: int) -> dict[str, float]:
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
    inserted = time.perf_counter() - started
    spent = {"mark_settled": 0.0}
    original = metering_repo.mark_settled

    def timed(*args: Any, **kwargs: Any) -> None:
        began = time.perf_counter()
        original(*args, **kwargs)
        spent["mark_settled"] += time.perf_counter() - began

    metering_repo.mark_settled = timed  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        with unit_of_work(factory) as s:
            report = settlement.settle_period(s, period_end=world.day1)
        settled = time.perf_counter() - started
    finally:
        metering_repo.mark_settled = original  # type: ignore[assignment]
    assert report.settled == 1, report
    with unit_of_work(factory) as s:
        done = s.execute(text("SELECT count(*) FROM usage_records WHERE settlement_id IS NOT "
                              "NULL")).scalar_one()
    assert done == n, (done, n)
    return {"insert": inserted, "settle": settled, **spent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--pg", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--only-pg", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    backends = ([] if args.only_pg else [("sqlite", None)]) + (
        [("postgresql", args.pg)] if args.pg else [])
    print(f"{'database':<11} {'records':>9} {'insert s':>9} {'settle s':>9} "
          f"{'settle/insert':>13} {'mark_settled s':>14}")
    for name, pg in backends:
        with scratch_database(pg) as url:
            got = run(url, args.records)
        print(f"{name:<11} {args.records:>9,} {got['insert']:>9.2f} {got['settle']:>9.2f} "
              f"{got['settle'] / got['insert']:>13.2f} {got['mark_settled']:>14.2f}")


if __name__ == "__main__":
    main()
