"""DCGM exporter scrapes: samples to hourly runs per GPU, gaps, bad lines by number."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from suanli.metering.parse_prometheus import OTHER, parse
from suanli.metering.rows import Source

T0 = int(datetime(2026, 12, 1, 0, 0, tzinfo=UTC).timestamp())
LABELS = 'gpu="0",UUID="{uuid}",device="nvidia0",modelName="NVIDIA H20",Hostname="n1"{extra}'


def sample(uuid: str, at: int, value: float, extra: str = "") -> str:
    labels = LABELS.format(uuid=uuid, extra=extra)
    return f"DCGM_FI_DEV_GPU_UTIL{{{labels}}} {value} {at * 1000}"


def scrape(at: int, values: dict[str, float], extra: str = "") -> list[str]:
    lines = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
             "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    lines += [sample(uuid, at, value, extra) for uuid, value in values.items()]
    lines.append(f'DCGM_FI_DEV_FB_USED{{gpu="0",UUID="GPU-a"}} 1000 {at * 1000}')
    return lines


def test_successive_scrapes_become_hourly_runs_per_gpu() -> None:
    lines: list[str] = []
    # Every 60 s from 00:30 to 01:30 for GPU-a; GPU-b only until 00:40.
    for minute in range(30, 91):
        values = {"GPU-a": 100.0 if minute < 60 else 50.0}
        if minute <= 40:
            values["GPU-b"] = 20.0
        lines += scrape(T0 + minute * 60, values, extra=',contract="contract-7"')
    parsed = parse("\n".join(lines))
    assert parsed.errors == []
    by_gpu = {(r.gpu_uuid, r.started_at.hour): r for r in parsed.rows}
    a0, a1, b0 = by_gpu[("GPU-a", 0)], by_gpu[("GPU-a", 1)], by_gpu[("GPU-b", 0)]
    assert (a0.gpu_seconds, a1.gpu_seconds, b0.gpu_seconds) == (1800, 1800, 600)
    assert a0.started_at == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert a1.ended_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert all(r.contract_id == 7 and r.source is Source.PROMETHEUS for r in parsed.rows)
    assert a0.utilisation_pct is not None and a0.utilisation_pct > 99
    # The minute 00:59-01:00 averages 100 and 50; 01:00 on is 50.
    assert a1.utilisation_pct == 50.0
    assert a0.line == 3 and a0.hostname == "n1"
    assert a0.source_ref == "2026-12-01T00:30:00Z/2026-12-01T01:00:00Z"


def test_a_gap_ends_a_run_and_a_lone_sample_spans_nothing() -> None:
    lines = [sample("GPU-a", T0 + s, 10) for s in (0, 60, 120, 1200, 1260, 3000)]
    parsed = parse("\n".join(lines))
    assert [(r.gpu_seconds, r.contract_id) for r in parsed.rows] == [(120, None), (60, None)]
    assert parsed.skipped == 0
    parsed = parse(sample("GPU-z", T0, 10))
    assert parsed.rows == [] and parsed.skipped == 1


def test_hpc_job_label_names_the_contract() -> None:
    lines = [sample("GPU-a", T0 + s, 10, ',hpc_job="contract-12"') for s in (0, 60)]
    lines += [sample("GPU-b", T0 + s, 10, ',hpc_job="8812"') for s in (0, 60)]
    contracts = {r.gpu_uuid: r.contract_id for r in parse("\n".join(lines)).rows}
    assert contracts == {"GPU-a": 12, "GPU-b": None}


def test_bad_lines_are_refused_by_number() -> None:
    lines = [
        sample("GPU-a", T0, 10),
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a" 10 1',
        'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 10 ' + str(T0 * 1000),
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a"} 10',
        sample("GPU-a", T0 + 60, 140),
        sample("GPU-a", T0, 12),
        sample("GPU-a", T0 + 60, 10, ',contract="acme"'),
        sample("GPU-a", T0 + 60, 11),
    ]
    parsed = parse("\n".join(lines))
    fields = {e.line: e.field for e in parsed.errors}
    assert fields == {2: None, 3: "UUID", 4: "timestamp", 5: "value", 6: "timestamp",
                      7: "contract"}
    assert [r.gpu_seconds for r in parsed.rows] == [60]


FIXTURES = Path(__file__).parent / "fixtures"
GPU0 = "GPU-5c7f3d2a-9b1e-4f0a-8c6d-2e1f3a4b5c6d"
GPU1 = "GPU-a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.mark.parametrize("name", ["dcgm_federate.prom", "dcgm_tsdb_dump.txt",
                                  "dcgm_dump_openmetrics.txt"])
def test_the_three_file_shapes_give_the_same_rows(name: str) -> None:
    """Federation scrapes (ms), `promtool tsdb dump` (name in the braces, ms) and
    `promtool tsdb dump-openmetrics` (seconds, # EOF): 00:57 to 01:03, two GPUs."""
    with (FIXTURES / name).open(encoding="utf-8") as lines:
        parsed = parse(lines)
    assert parsed.errors == []
    got = sorted((r.gpu_uuid, r.started_at.strftime("%H:%M"), r.ended_at.strftime("%H:%M"),
                  r.gpu_seconds, r.utilisation_pct, r.hostname) for r in parsed.rows)
    assert got == [(GPU0, "00:57", "01:00", 180, 93.5, "gn001"),
                   (GPU0, "01:00", "01:03", 180, 98.83, "gn001"),
                   (GPU1, "00:57", "01:00", 180, 8.33, "gn001"),
                   (GPU1, "01:00", "01:03", 180, 70.0, "gn001")]
    assert parsed.passed == {OTHER: 14}


def test_a_raw_exporter_scrape_has_nothing_usable() -> None:
    """dcgm-exporter's own /metrics carries no timestamps: every sample is refused."""
    lines = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
             "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
             f'DCGM_FI_DEV_GPU_UTIL{{gpu="0",UUID="{GPU0}",Hostname="gn001"}} 87',
             f'DCGM_FI_DEV_GPU_UTIL{{gpu="1",UUID="{GPU1}",Hostname="gn001"}} 12']
    parsed = parse("\n".join(lines))
    assert parsed.rows == [] and [e.field for e in parsed.errors] == ["timestamp"] * 2
    assert "agent collect" in parsed.errors[0].reason


def test_escaped_label_values_and_exponents() -> None:
    line = (f'{{Hostname="gn\\"7\\"", UUID="{GPU0}", __name__="DCGM_FI_DEV_GPU_UTIL"}} '
            f"1e+02 {(T0 + 60) * 1000}")
    first = sample(GPU0, T0, 100)
    parsed = parse("\n".join([first, line]))
    assert parsed.errors == [] and parsed.rows[0].utilisation_pct == 100.0
