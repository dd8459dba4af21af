"""`suanli metering import` end to end on a database of its own: partial imports,
all-or-nothing, exit codes, and a crash (SIGKILL) mid-import leaving no half batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker, reader
from suanli.kit.timeutil import SHANGHAI
from suanli.metering.importer import run_import
from suanli.metering.models import UsageBatch, UsageRecord
from suanli.metering.rows import Format, RowError
from suanli.metering.service import Reporter
from tests.metering.prometheus_stub import Series, Stub, serving
from tests.settlement.committed import committed_world
from tests.settlement.world import World

RUN = [sys.executable, "-c", "from suanli.cli import main; main()"]


@pytest.fixture
def database(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A committed database that in-process CLI commands use."""
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


class Ran:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def cli(url: str, *args: str) -> Ran:
    """Run the command in this process (the database comes from the `database` fixture)."""
    result = CliRunner().invoke(app, list(args))
    assert get_settings().database_url == url
    return Ran(result.exit_code, result.stdout, result.stderr)


def jsonl(world: World, path: Path, rows: int, *, step_s: int = 5, bad: set[int] = frozenset()
          ) -> Path:
    """`rows` one-GPU records of `step_s` seconds each, one after another."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(rows):
            start = world.start + timedelta(seconds=n * step_s)
            end = start + timedelta(seconds=step_s)
            doc = {"contract_id": world.contract.id, "ref": f"r{n}", "gpus": 1,
                   "start": start.isoformat(), "end": end.isoformat()}
            if n in bad:
                doc["end"] = "not a time"
            out.write(json.dumps(doc) + "\n")
    return path


def counts(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        records = conn.execute(select(func.count()).select_from(UsageRecord)).scalar_one()
        batches = conn.execute(select(UsageBatch.id, UsageBatch.accepted)).all()
        stored = dict(conn.execute(select(UsageRecord.batch_id, func.count())
                                   .group_by(UsageRecord.batch_id)).all())
    engine.dispose()
    return int(records), [(b, a, stored.get(b, 0)) for b, a in batches]


def test_partial_and_all_or_nothing(database: str, tmp_path: Path) -> None:
    fresh_database = database
    world = committed_world(fresh_database)
    path = jsonl(world, tmp_path / "usage.jsonl", 20, bad={3, 11})
    strict = cli(fresh_database, "metering", "import", str(path), "--format", "json",
                 "--all-or-nothing")
    assert strict.returncode == 1, strict.stderr
    assert "NOT stored" in strict.stdout and counts(fresh_database)[0] == 0
    partial = cli(fresh_database, "metering", "import", str(path), "--format", "json",
                  "--batch-size", "7")
    assert partial.returncode == 1
    assert "18 accepted" in partial.stdout and "2 rejected" in partial.stdout
    assert "4" in partial.stdout and "end" in partial.stdout  # line 4, field end
    assert counts(fresh_database)[0] == 18
    again = cli(fresh_database, "metering", "import", str(path), "--format", "json")
    assert "0 accepted" in again.stdout and "18 already stored" in again.stdout
    good = jsonl(world, tmp_path / "good.jsonl", 20)
    done = cli(fresh_database, "metering", "import", str(good), "--format", "json",
               "--provider", world.provider.org_slug)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 accepted" in done.stdout and counts(fresh_database)[0] == 20


def test_bad_invocations_exit_2(database: str, tmp_path: Path) -> None:
    fresh_database = database
    path = tmp_path / "x.jsonl"
    path.write_text("{}\n")
    for args, needle in ((["--format", "csv"], "--format"),
                         (["--format", "json", "--provider", "nobody"], "--provider")):
        done = cli(fresh_database, "metering", "import", str(path), *args)
        assert done.returncode == 2 and needle in done.stderr, done.stderr
    missing = cli(fresh_database, "metering", "import", str(tmp_path / "none"), "--format", "json")
    assert missing.returncode == 2 and missing.stderr.startswith("error: FILE")
    path.write_bytes(b"\xff\xfe\x00garbage")
    binary = cli(fresh_database, "metering", "import", str(path), "--format", "sacct")
    assert binary.returncode == 2 and "UTF-8" in binary.stderr


def _batches_so_far(url: str) -> int:
    """Counted by a reader: through the platform's BEGIN IMMEDIATE this poll would queue
    behind the importer's writes on SQLite until the import was over."""
    engine = reader(make_engine(url))
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(UsageBatch)).scalar_one()
    finally:
        engine.dispose()


def test_a_crash_mid_import_leaves_no_half_batch(fresh_database: str, tmp_path: Path) -> None:
    world = committed_world(fresh_database)
    rows = 20_000
    path = jsonl(world, tmp_path / "big.jsonl", rows, step_s=1)
    env = {**os.environ, "SUANLI_DATABASE_URL": fresh_database}
    proc = subprocess.Popen([*RUN, "metering", "import", str(path), "--format", "json",
                             "--batch-size", "100"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _batches_so_far(fresh_database) < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL  # it was still importing
    stored, batches = counts(fresh_database)
    assert 0 < stored < rows
    assert all(accepted == kept for _, accepted, kept in batches), batches
    assert stored == sum(accepted for _, accepted, _ in batches)
    with path.open(encoding="utf-8") as lines:
        finished = run_import(make_sessionmaker(make_engine(fresh_database)), lines=lines,
                              fmt=Format.JSON, reporter=Reporter("again", None))
    assert (finished.accepted, finished.duplicates, finished.rejected) == (rows - stored,
                                                                           stored, [])
    assert counts(fresh_database)[0] == rows


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_raw_sacct_export_with_all_or_nothing(database: str, tmp_path: Path) -> None:
    world = committed_world(database)
    day = world.start.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    text = (FIXTURES / "sacct_raw.txt").read_text(encoding="utf-8")
    path = tmp_path / "sacct.txt"
    path.write_text(text.replace("2026-12-01", day)
                    .replace("contract-17", f"contract-{world.contract.id}"), encoding="utf-8")
    done = cli(database, "metering", "import", str(path), "--format", "sacct",
               "--all-or-nothing")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 accepted (stored)" in done.stdout and "27 passed over" in done.stdout
    assert "passed over: 21 job steps" in done.stdout
    assert "passed over: 1 pending array placeholders" in done.stdout
    assert "read as Asia/Shanghai (the default" in done.stdout
    assert counts(database)[0] == 10
    shifted = cli(database, "metering", "import", str(path), "--format", "sacct",
                  "--tz", "Asia/Urumqi")
    assert "read as Asia/Urumqi (--tz)" in shifted.stdout
    bad = cli(database, "metering", "import", str(path), "--format", "sacct", "--tz", "Mars/Base")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --tz")


def test_a_file_of_which_nothing_is_usable_fails(database: str, tmp_path: Path) -> None:
    world = committed_world(database)
    other = tmp_path / "power.prom"
    at = int(world.start.timestamp()) * 1000
    other.write_text("\n".join(f'DCGM_FI_DEV_POWER_USAGE{{UUID="{u}"}} 310.5 {at}'
                               for u in world.uuids) + "\n", encoding="utf-8")
    done = cli(database, "metering", "import", str(other), "--format", "prometheus")
    assert done.returncode == 1 and "0 rows" in done.stdout
    assert done.stderr.strip().startswith(f"error: nothing usable in {other}")
    assert "samples of other metrics" in done.stderr
    unplaced = tmp_path / "node-01.prom"
    unplaced.write_text("\n".join(f'DCGM_FI_DEV_GPU_UTIL{{UUID="{world.uuids[8]}"}} 50 '
                                  f"{at + n * 60_000}" for n in range(10)) + "\n")
    done = cli(database, "metering", "import", str(unplaced), "--format", "prometheus")
    assert done.returncode == 1 and "placement" in done.stderr
    assert "not billed: 0.15 GPU-hours, GPU placed on no contract" in done.stdout
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert cli(database, "metering", "import", str(empty), "--format", "json").returncode == 1


def test_pull_reads_dcgm_series_from_prometheus(database: str) -> None:
    world = committed_world(database)
    t0 = int(world.start.timestamp())
    node = {"Hostname": "node-00", "instance": "10.0.3.11:9400", "job": "dcgm",
            "modelName": "NVIDIA H20"}
    stub = Stub([Series({**node, "UUID": world.uuids[0], "gpu": "0"}, [(t0, t0 + 7200)]),
                 Series({**node, "UUID": world.uuids[1], "gpu": "1"},
                        [(t0, t0 + 1800), (t0 + 3600, t0 + 7200)], value=35),
                 Series({**node, "UUID": world.uuids[8], "gpu": "0", "Hostname": "node-01"},
                        [(t0, t0 + 3600)])])
    since = world.start.isoformat()
    until = (world.start + timedelta(hours=2)).isoformat()
    with serving(stub):
        done = cli(database, "metering", "pull", "--prometheus", stub.url, "--from", since,
                   "--to", until, "--step", "60")
        assert done.returncode == 0, done.stdout + done.stderr
        assert stub.queries[0]["step"] == "60s"
        again = cli(database, "metering", "pull", "--prometheus", stub.url, "--from", since,
                    "--to", until)
        assert "0 accepted" in again.stdout
        wrong = cli(database, "metering", "pull", "--prometheus", stub.url, "--from", since,
                    "--to", until, "--query", "up{")
        assert wrong.returncode == 2 and "bad_data" in wrong.stderr
    engine = make_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(select(UsageRecord.gpu_uuid, func.sum(UsageRecord.gpu_seconds),
                                   func.sum(UsageRecord.billable_gpu_seconds))
                            .where(UsageRecord.contract_id == world.contract.id)
                            .group_by(UsageRecord.gpu_uuid)).all()
    engine.dispose()
    assert sorted(rows) == sorted([(world.uuids[0], 7200, 7200), (world.uuids[1], 5400, 5400)])
    assert "not billed: 1.00 GPU-hours, GPU placed on no contract" in done.stdout
    gone = cli(database, "metering", "pull", "--prometheus", "http://127.0.0.1:9", "--from",
               since, "--to", until)
    assert gone.returncode == 2 and "cannot reach" in gone.stderr


def test_pull_asks_in_windows_prometheus_accepts(database: str) -> None:
    from suanli.metering.pull import samples

    t0 = 1_800_000_000
    stub = Stub([Series({"UUID": "GPU-x"}, [(t0, t0 + 86_400)])])
    with serving(stub):
        got = list(samples(stub.url, start=datetime.fromtimestamp(t0, UTC),
                           end=datetime.fromtimestamp(t0 + 86_400, UTC), step_s=15,
                           points_per_query=1000))
    assert len(got) == 86_400 // 15 + 1 and len(stub.queries) == 6
    ats = [s.at for s in got if not isinstance(s, RowError)]
    assert ats == sorted(set(ats))  # no sample twice at a window's edge
