"""Usage import throughput per format, beside plain bulk inserts of the same rows in the
same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/metering.py                        # both databases
    .venv/bin/python bench/metering.py --only sqlite --rows 20000 --rounds 3
    .venv/bin/python bench/metering.py --real-size            # 1,000,000-line sacct, a month
                                                              # of DCGM samples of 64 GPUs

With --real-size, two files are written to disk (`bench/metering_files.py`): a raw sacct
export of 1,000,000 lines (jobs with their steps, array tasks, pending placeholders,
cancelled jobs) and a month of one-minute DCGM samples of 64 GPUs (2,764,800 lines of
federation text); each is imported from disk by `suanli.metering.importer.run_import` in a
process of its own, whose peak resident memory is reported (aim: under 500 MiB: the import
streams). Import speed is input lines per second; the baseline (plain Core INSERTs into
`usage_records`, 1,000 a transaction) is measured in the same run on 200,000 rows.

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
import resource
import statistics
import subprocess
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

sys.path.insert(0, str(Path(__file__).parent))
from metering_files import uuid_of, write_dcgm, write_sacct

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GPUS = 64
BATCH = 1000
DAYS = 31
# A month that has ended (usage from the future is refused), from a midnight.
T0 = (datetime.now(UTC) - timedelta(days=DAYS + 1)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
UUIDS = [uuid_of(i) for i in range(GPUS)]
REAL_SACCT_LINES = 1_000_000
BASELINE_ROWS = 200_000


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
    for node in range(GPUS // 8):
        att = Attestation(cluster_id=cluster_id, hostname=f"gn{node + 1:03d}",
                          nonce=uuid.uuid4().hex, reported_at=T0, gpu_count=8, payload={},
                          signature="-", verdict=Verdict.MATCH, problems=[])
        s.add(att)
        s.flush()
        s.add_all([AttestedGpu(cluster_id=cluster_id, attestation_id=att.id,
                               hostname=f"gn{node + 1:03d}", gpu_index=i, uuid=UUIDS[node * 8 + i],
                               name="NVIDIA H20", model="h20", memory_total_mib=97871)
                   for i in range(8)])


def _contract(s: Session, cluster_id: int, provider_id: int, buyer_id: int) -> int:
    end = T0 + timedelta(days=DAYS)
    offer = Offer(organisation_id=provider_id, cluster_id=cluster_id, accelerator_model="h20",
                  gpus=GPUS, start_at=T0, end_at=end, ask_fen=1000, min_lease_hours=1,
                  service_class=ServiceClass.TRAINING, cancel_fee_rate=Decimal("0.2"))
    s.add(offer)
    s.flush()
    hours = GPUS * DAYS * 24
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


def baseline_rows(rows: range, contract_id: int, provider_id: int, batch_id: int
                  ) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for n in rows:
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
    """Rows per second of plain Core bulk INSERTs, BATCH rows per transaction (the rows of
    each transaction are built before its clock starts)."""
    with unit_of_work(factory) as s:
        contract = s.get(Contract, contract_id)
        assert contract is not None
        provider = contract.provider_org_id
        batch = UsageBatch(run="baseline", source="baseline", channel="file",
                           accepted=0, duplicates=0, rejected=0, flagged=0, errors=[],
                           created_by="bench")
        s.add(batch)
        s.flush()
        batch_id = batch.id
    table = UsageRecord.__table__
    elapsed = 0.0
    for i in range(0, rows, BATCH):
        data = baseline_rows(range(i, min(i + BATCH, rows)), contract_id, provider, batch_id)
        started = time.perf_counter()
        with unit_of_work(factory) as s:
            s.execute(insert(table), data)  # type: ignore[arg-type]
        elapsed += time.perf_counter() - started
    return rows / elapsed


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


def child_import(url: str, fmt: str, path: str) -> None:
    """(In a process of its own.) Import one file from disk; print speed and peak memory."""
    factory = make_sessionmaker(make_engine(url))
    started = time.perf_counter()
    with open(path, encoding="utf-8") as lines:
        report = run_import(factory, lines=lines, fmt=Format(fmt),
                            reporter=Reporter("bench", None), batch_size=BATCH)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"lines": report.lines, "records": report.accepted,
                      "passed": report.skipped, "refused": report.refused,
                      "seconds": seconds, "peak_mib": peak_mib}))


Real = list[dict[str, Any]]


def real_size(url: str, dcgm: Path, folder: Path) -> Real:
    """Both real-size files imported on one database, each in a child process."""
    migrate.upgrade(url)
    contract_id = seed(url)
    factory = make_sessionmaker(make_engine(url))
    sacct = folder / f"sacct-{uuid.uuid4().hex[:6]}.txt"
    write_sacct(sacct, contract_id, T0, REAL_SACCT_LINES)
    clear(factory)
    baseline = time_baseline(factory, BASELINE_ROWS, contract_id)
    out: Real = []
    for fmt, path in ((Format.SACCT, sacct), (Format.PROMETHEUS, dcgm)):
        clear(factory)
        print(f"  importing {path.name} ({path.stat().st_size / 2**20:,.0f} MiB) ...",
              file=sys.stderr)
        done = subprocess.run([sys.executable, __file__, "--child", url, str(fmt), str(path)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{fmt} import failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["refused"]:
            raise SystemExit(f"{fmt}: {result['refused']} rows refused")
        out.append({"format": str(fmt), "baseline": baseline, **result})
    sacct.unlink()
    return out


def with_postgresql(admin_url: str, work: Callable[[str], Real]) -> Real:
    name = f"suanli_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return work(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main_real_size(only: str | None, pg_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="suanli-bench-") as tmp:
        folder = Path(tmp)
        dcgm = folder / "dcgm-month.prom"
        print("writing a month of DCGM samples of 64 GPUs ...", file=sys.stderr)
        write_dcgm(dcgm, T0, 30)
        results: list[tuple[str, Real]] = []
        if only in (None, "sqlite"):
            print("sqlite:", file=sys.stderr)
            results.append(("sqlite", real_size(f"sqlite:///{folder / 'bench.db'}", dcgm,
                                                folder)))
        if only in (None, "postgresql"):
            print("postgresql:", file=sys.stderr)
            results.append(("postgresql", with_postgresql(
                pg_url, lambda url: real_size(url, dcgm, folder))))
    print(f"\n{os.cpu_count()} CPUs; input lines per second of the import, beside plain "
          f"INSERTs ({BASELINE_ROWS:,} rows) in the same run; peak memory of the import:")
    print(f"{'database':<11} {'file':<11} {'lines':>10} {'records':>8} {'passed':>8} "
          f"{'import/s':>9} {'baseline/s':>10} {'ratio':>6} {'peak MiB':>9}")
    for name, rows in results:
        for r in rows:
            speed = r["lines"] / r["seconds"]
            print(f"{name:<11} {r['format']:<11} {r['lines']:>10,} {r['records']:>8,} "
                  f"{r['passed']:>8,} {speed:>9,.0f} {r['baseline']:>10,.0f} "
                  f"{speed / r['baseline']:>6.2f} {r['peak_mib']:>9,.0f}")
    print("aims: ratio >= 0.33, peak < 500 MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=20_000, help="input rows per file")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--pg-url", default=os.environ.get("SUANLI_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--real-size", action="store_true",
                        help="a 1,000,000-line sacct export and a month of DCGM samples")
    parser.add_argument("--child", nargs=3, metavar=("URL", "FORMAT", "FILE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return
    if args.real_size:
        main_real_size(args.only, args.pg_url)
        return
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
