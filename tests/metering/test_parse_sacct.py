"""Slurm sacct exports: good rows, steps passed over, bad rows named by line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from suanli.metering.parse_sacct import (
    CPU_ONLY,
    NEVER_STARTED,
    NO_TIME,
    PENDING_TASKS,
    RUNNING,
    STEPS,
    STEPS_ALONE,
    gpus_of,
    parse,
)
from suanli.metering.rows import Source

HEADER = "JobID|Account|Start|End|ElapsedRaw|AllocTRES"


def test_allocation_rows_in_local_time_with_steps_skipped() -> None:
    text = "\n".join([
        HEADER,
        "4242|contract-17|2026-12-01T08:00:00|2026-12-01T12:00:00|14400|"
        "billing=64,cpu=64,gres/gpu=8,mem=1000G,node=1",
        "4242.batch||2026-12-01T08:00:00|2026-12-01T12:00:00|14400|cpu=64,gres/gpu=8,node=1",
        "4243|CONTRACT-18|2026-12-01T00:00:00+00:00|2026-12-01T01:00:00+00:00|1800|"
        "gres/gpu:h100=2,gres/gpu:a100=1",
    ])
    parsed = parse(text)
    assert parsed.errors == []
    assert parsed.skipped == 1
    first, second = parsed.rows
    assert (first.line, first.source) == (2, Source.SACCT)
    assert first.source_ref == "4242@2026-12-01T00:00:00Z"
    assert first.contract_id == 17 and first.gpus == 8 and first.gpu_uuid is None
    assert first.started_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    assert first.gpu_seconds == 8 * 14400
    # A suspended job: ElapsedRaw shorter than End - Start bills what ran.
    assert (second.contract_id, second.gpus, second.gpu_seconds) == (18, 3, 3 * 1800)


def test_columns_in_another_order_among_others() -> None:
    text = ("JobIDRaw|AllocTRES|End|Start|Account|ElapsedRaw|JobID\n"
            "9|gres/gpu=1|2026-12-01T09:00:00|2026-12-01T08:00:00|contract-3|3600|9\n")
    (row,) = parse(text).rows
    assert (row.contract_id, row.gpu_seconds, row.source_ref) == (3, 3600,
                                                                  "9@2026-12-01T00:00:00Z")


def test_bad_rows_are_refused_with_line_field_and_reason() -> None:
    text = "\n".join([
        HEADER,
        "1|contract-1|2026-12-01T08:00:00|2026-12-01T07:00:00|0|gres/gpu=8",
        "2|research|2026-12-01T08:00:00|2026-12-01T09:00:00|3600|gres/gpu=8",
        "3|contract-1|yesterday|2026-12-01T09:00:00|3600|gres/gpu=8",
        "4|contract-1|2026-12-01T08:00:00|2026-12-01T09:00:00|9000|gres/gpu=8",
        "5|contract-1|2026-12-01T08:00:00|2026-12-01T09:00:00|3600|cpu=64,mem=10G",
        "6|contract-1|2026-12-01T09:00:00|2026-12-01T08:00:00|0|gres/gpu=8",
        "7|contract-1|2026-12-01T08:00:00",
        "8|contract-1|2026-12-01T08:00:00|2026-12-01T09:00:00|1h|gres/gpu=8",
        "|contract-1|2026-12-01T08:00:00|2026-12-01T09:00:00|3600|gres/gpu=8",
        "10|contract-1|2026-12-01T08:00:00|2026-12-01T09:00:00|3600|gres/gpu=2",
    ])
    parsed = parse(text)
    assert [r.source_ref for r in parsed.rows] == ["10@2026-12-01T00:00:00Z"]
    found = {(e.line, e.field) for e in parsed.errors}
    assert found == {(2, "End"), (3, "Account"), (4, "Start"), (5, "ElapsedRaw"),
                     (6, "AllocTRES"), (7, "End"), (8, None), (9, "ElapsedRaw"),
                     (10, "JobID")}
    reasons = {e.line: e.reason for e in parsed.errors}
    assert reasons[2] == "end must be after start"
    assert "contract-<id>" in reasons[3]
    assert "no GPUs" in reasons[6]
    assert str(parsed.errors[0]).startswith("line 2: End: ")


def test_a_header_without_the_columns_refuses_the_file() -> None:
    parsed = parse("JobID|Account|Start|End\n1|contract-1|x|y\n")
    assert parsed.rows == []
    (error,) = parsed.errors
    assert (error.line, error.field) == (1, "header")
    assert "ElapsedRaw, AllocTRES" in error.reason
    assert parse("").errors[0].field == "header"


def test_gpus_of_tres() -> None:
    assert gpus_of("cpu=4,gres/gpu=8,gres/gpu:h100=8") == 8
    assert gpus_of("gres/gpu:h100=2,gres/gpu:h20=4") == 6
    assert gpus_of("cpu=4,mem=1G") == 0


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_raw_export_bills_every_job_and_passes_over_the_normal_rest() -> None:
    """`sacct --allusers --duplicates --parsable2` of a day: steps, array tasks, a pending
    array placeholder, a requeued job, jobs cancelled before the start or still running,
    a heterogeneous job with a CPU-only component, two identical jobs."""
    with (FIXTURES / "sacct_raw.txt").open(encoding="utf-8") as lines:
        parsed = parse(lines)
    assert parsed.errors == []
    refs = [r.source_ref.split("@")[0] for r in parsed.rows]
    assert refs == ["4242", "4243_1", "4243_2", "4243_3", "4250", "4250", "4270+1", "4300",
                    "4310", "4311"]
    assert len({r.source_ref for r in parsed.rows}) == 10  # the requeued runs differ too
    by_ref = {r.source_ref: r for r in parsed.rows}
    first_run = by_ref["4250@2026-12-01T04:00:30Z"]  # 12:00:30 Shanghai
    second_run = by_ref["4250@2026-12-01T05:20:00Z"]
    assert (first_run.gpu_seconds, second_run.gpu_seconds) == (4 * 2370, 4 * 7200)
    assert [r.gpus for r in parsed.rows] == [8, 1, 1, 1, 4, 4, 4, 2, 2, 2]
    assert parsed.passed == {STEPS: 21, PENDING_TASKS: 1, NEVER_STARTED: 2, RUNNING: 1,
                             NO_TIME: 1, CPU_ONLY: 1}
    assert parsed.lines == 38 and parsed.skipped == 27


def test_offsets_printed_by_slurm_time_format_win_over_the_zone() -> None:
    text = "\n".join([
        HEADER,
        "7|contract-4|2026-12-01T08:00:00+0800|2026-12-01T09:00:00+0800|3600|gres/gpu=1",
        "8|contract-4|2026-12-01T08:00:00|2026-12-01T09:00:00|3600|gres/gpu=1",
    ])
    zones = {4: ZoneInfo("Asia/Urumqi")}
    parsed = parse(text, tz=lambda contract: zones[contract])
    with_offset, local = parsed.rows
    assert with_offset.started_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert local.started_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Urumqi is UTC+6


def test_steps_without_their_allocation_are_counted_apart() -> None:
    parsed = parse("\n".join([HEADER, "99.batch|contract-1|2026-12-01T08:00:00|"
                                      "2026-12-01T09:00:00|3600|gres/gpu=1"]))
    assert parsed.rows == [] and parsed.errors == []
    assert parsed.passed == {STEPS_ALONE: 1}
