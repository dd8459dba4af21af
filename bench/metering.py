"""Usage import throughput per format, beside plain bulk inserts of the same rows in the
same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/metering.py                        # both databases
    .venv/bin/python bench/metering.py --only sqlite --rows 20000 --rounds 3

For each format (sacct, prometheus, json) a file of ROWS input rows is generated for one
64-GPU contract: sacct jobs and JSON records of one GPU each, DCGM samples every 60 s of 64
attested GPUs (mapped to the contract through the attested cluster, no label). The import
is the real one (`metering.importer.run_import`: parse, resolve contracts, drop known
natural keys, reconcile, bulk insert, a batch of 1,000 rows per transaction). The baseline
lands the same number of rows in `usage_records` with SQLAlchemy Core bulk INSERTs, also
1,000 rows per transaction, and nothing else. Both are rows of input per second; a
Prometheus import stores one record per GPU-hour (60 samples), which the table shows.
Rounds are interleaved and the table is emptied before each measurement; medians are
printed. The aim: the import at least a third of the baseline. This asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from suanli import migrate
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.catalog.service import load_reference_data
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.market.models import Contract, ContractSource, ContractState, Offer, ServiceClass
from suanli.metering.importer import run_import
from suanli.metering.models import UsageBatch, UsageRecord
from suanli.metering.rows import Format
from suanli.metering.service import Reporter
from suanli.models_registry import load_all_models
from suanli.providers.models import Attestation, AttestedGpu, Cluster, DataCentre, Verdict

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GPUS = 64
BATCH = 1000
T0 = datetime(2026, 11, 2, tzinfo=UTC)
UUIDS = [f"GPU-bench-{i:04d}" for i in range(GPUS)]


load_all_models()  # a flush sorts every table by its foreign keys

def seed(url: str) -> int:
    """A provider, a buyer, an attested 64-GPU cluster and a 30-day contract; its id."""
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as s:
        load_reference_data(s)
        tag = uuid.uuid4().hex[:6]
        provider = auth_service.create_organisation(s, slug=f"bench-p-{tag}", name="P",
                                                    kind=OrgKind.PROVIDER)
        buyer = auth_service.create_organisation(s, slug=f"bench-b-{tag}", name="B",
                                                 kind=OrgKind.STARTUP)
        dc = DataCentre(organisation_id=provider.id, name="DC", hub_id="gs-qingyang",
                        operator_type="state", pue=Decimal("1.2"), green_share=Decimal("0.5"),
                        racks=10)
        s.add(dc)
        s.flush()
        cluster = Cluster(data_centre_id=dc.id, organisation_id=provider.id, name="c",
                          accelerator_model="h20", nodes=8, gpus_per_node=8, interconnect="",
                          eccn="EAR99", status="listable")
        s.add(cluster)
        s.flush()
        _attest(s, cluster.id)
        return _contract(s, cluster.id, provider.id, buyer.id)


def _attest(s: Session, cluster_id: int) -> None:
    att = Attestation(cluster_id=cluster_id, hostname="n", nonce=uuid.uuid4().hex,
                      reported_at=T0, gpu_count=GPUS, payload={}, signature="-",
                      verdict=Verdict.MATCH, problems=[])
    s.add(att)
    s.flush()
    s.add_all([AttestedGpu(cluster_id=cluster_id, attestation_id=att.id, hostname="n",
                           gpu_index=i, uuid=u, name="NVIDIA H20", model="h20",
                           memory_total_mib=97871) for i, u in enumerate(UUIDS)])


def _contract(s: Session, cluster_id: int, provider_id: int, buyer_id: int) -> int:
    end = T0 + timedelta(days=30)
    offer = Offer(organisation_id=provider_id, cluster_id=cluster_id, accelerator_model="h20",
                  gpus=GPUS, start_at=T0, end_at=end, ask_fen=1000, min_lease_hours=1,
                  service_class=ServiceClass.TRAINING, cancel_fee_rate=Decimal("0.2"))
    s.add(offer)
    s.flush()
    hours = GPUS * 30 * 24
    contract = Contract(source=ContractSource.INSTANT, offer_id=offer.id, buyer_org_id=buyer_id,
                        provider_org_id=provider_id, accelerator_model="h20", gpus=GPUS,
                        start_at=T0, end_at=end, gpu_hours=hours, unit_price_fen=1000,
                        subsidy_rate=Decimal(0), cost_fen=hours * 1000, subsidy_fen=0,
                        buyer_pays_fen=hours * 1000, state=ContractState.RUNNING)
    s.add(contract)
    s.flush()
    return contract.id


def _slot(n: int) -> tuple[datetime, datetime, int]:
    """Row n: GPU lane n % 64, one minute after the lane's previous row."""
    start = T0 + timedelta(minutes=n // GPUS)
    return start, start + timedelta(minutes=1), n % GPUS


def make_file(fmt: Format, rows: int, contract_id: int) -> list[str]:
    if fmt is Format.SACCT:
        out = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES"]
        for n in range(rows):
            a, b, _ = _slot(n)
            out.append(f"{n}|contract-{contract_id}|{a.isoformat()}|{b.isoformat()}|60|"
                       "billing=1,cpu=8,gres/gpu=1")
        return out
    if fmt is Format.JSON:
        return [json.dumps({"contract_id": contract_id, "ref": f"j{n}", "gpus": 1,
                            "start": _slot(n)[0].isoformat(), "end": _slot(n)[1].isoformat()})
                for n in range(rows)]
    out = ["# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    for n in range(rows):
        a, _, lane = _slot(n)
        out.append(f'DCGM_FI_DEV_GPU_UTIL{{gpu="{lane % 8}",UUID="{UUIDS[lane]}",'
                   f'Hostname="n{lane // 8}",modelName="NVIDIA H20"}} 87 '
                   f"{int(a.timestamp()) * 1000}")
    return out


def baseline_rows(rows: int, contract_id: int, provider_id: int, batch_id: int
                  ) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for n in range(rows):
        a, b, lane = _slot(n)
        out.append({"batch_id": batch_id, "contract_id": contract_id,
                    "provider_org_id": provider_id, "source": "baseline", "source_ref": str(n),
                    "gpu_uuid": UUIDS[lane], "gpus": 1, "started_at": a, "ended_at": b,
                    "gpu_seconds": 60, "billable_gpu_seconds": 60, "utilisation_pct": None,
                    "hostname": None, "line": n + 1, "flags": [], "settlement_id": None,
                    "created_at": now})
    return out


def clear(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        s.execute(delete(UsageRecord))
        s.execute(delete(UsageBatch))


def time_baseline(factory: sessionmaker[Session], rows: int, contract_id: int) -> float:
    """Rows per second of plain Core bulk INSERTs, BATCH rows per transaction."""
    with unit_of_work(factory) as s:
        contract = s.get(Contract, contract_id)
        assert contract is not None
        batch = UsageBatch(run="baseline", source="baseline", channel="file",
                           accepted=0, duplicates=0, rejected=0, flagged=0, errors=[],
                           created_by="bench")
        s.add(batch)
        s.flush()
        data = baseline_rows(rows, contract_id, contract.provider_org_id, batch.id)
    table = UsageRecord.__table__
    started = time.perf_counter()
    for i in range(0, rows, BATCH):
        with unit_of_work(factory) as s:
            s.execute(insert(table), data[i:i + BATCH])  # type: ignore[arg-type]
    return rows / (time.perf_counter() - started)


def time_import(factory: sessionmaker[Session], lines: list[str], fmt: Format,
                rows: int) -> tuple[float, int]:
    """Input rows per second of the real import, and the records it stored."""
    started = time.perf_counter()
    report = run_import(factory, lines=lines, fmt=fmt, reporter=Reporter("bench", None),
                        batch_size=BATCH)
    elapsed = time.perf_counter() - started
    if report.rejected:
        raise SystemExit(f"{fmt}: {len(report.rejected)} rows refused: {report.rejected[0]}")
    return rows / elapsed, report.accepted


Result = dict[Format, tuple[list[float], list[float], int]]


def run_backend(url: str, rows: int, rounds: int) -> Result:
    migrate.upgrade(url)
    contract_id = seed(url)
    factory = make_sessionmaker(make_engine(url))
    files = {fmt: make_file(fmt, rows, contract_id) for fmt in Format}
    out: Result = {fmt: ([], [], 0) for fmt in Format}
    for _ in range(rounds):
        for fmt in Format:
            clear(factory)
            base = time_baseline(factory, rows, contract_id)
            clear(factory)
            ours, stored = time_import(factory, files[fmt], fmt, rows)
            out[fmt][0].append(ours)
            out[fmt][1].append(base)
            out[fmt] = (out[fmt][0], out[fmt][1], stored)
    return out


def bench_sqlite(rows: int, rounds: int) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        return run_backend(f"sqlite:///{Path(folder) / 'bench.db'}", rows, rounds)


def bench_postgresql(admin_url: str, rows: int, rounds: int) -> Result:
    name = f"suanli_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run_backend(make_url(admin_url).set(database=name)
                           .render_as_string(hide_password=False), rows, rounds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def report(backend: str, result: Result, rows: int) -> None:
    for fmt, (ours, base, stored) in result.items():
        mine, theirs = statistics.median(ours), statistics.median(base)
        print(f"{backend:<11} {fmt:<11} {rows:>8,} {stored:>8,} {mine:>12,.0f} "
              f"{theirs:>12,.0f} {mine / theirs:>6.2f}  >= 0.33")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=20_000, help="input rows per file")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--pg-url", default=os.environ.get("SUANLI_TEST_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    results: list[tuple[str, Result]] = []
    runs: list[tuple[str, Callable[[], Result]]] = [
        ("sqlite", lambda: bench_sqlite(args.rows, args.rounds)),
        ("postgresql", lambda: bench_postgresql(args.pg_url, args.rows, args.rounds))]
    for name, run in runs:
        if args.only in (None, name):
            print(f"{name}: {args.rounds} rounds of {args.rows:,} rows per format ...",
                  file=sys.stderr)
            results.append((name, run()))
    print(f"\n{os.cpu_count()} CPUs, medians of {args.rounds} rounds, rows of input per second:")
    print(f"{'database':<11} {'format':<11} {'rows':>8} {'records':>8} {'import/s':>12} "
          f"{'baseline/s':>12} {'ratio':>6}  aim")
    for name, result in results:
        report(name, result, args.rows)


if __name__ == "__main__":
    main()
