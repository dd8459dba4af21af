"""Slurm sacct exports: good rows, steps passed over, bad rows named by line and field."""

from __future__ import annotations

from datetime import UTC, datetime

from suanli.metering.parse_sacct import gpus_of, parse
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
    assert (first.line, first.source, first.source_ref) == (2, Source.SACCT, "4242")
    assert first.contract_id == 17 and first.gpus == 8 and first.gpu_uuid is None
    assert first.started_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    assert first.gpu_seconds == 8 * 14400
    # A suspended job: ElapsedRaw shorter than End - Start bills what ran.
    assert (second.contract_id, second.gpus, second.gpu_seconds) == (18, 3, 3 * 1800)


def test_columns_in_another_order_among_others() -> None:
    text = ("JobIDRaw|AllocTRES|End|Start|Account|ElapsedRaw|JobID\n"
            "9|gres/gpu=1|2026-12-01T09:00:00|2026-12-01T08:00:00|contract-3|3600|9\n")
    (row,) = parse(text).rows
    assert (row.contract_id, row.gpu_seconds, row.source_ref) == (3, 3600, "9")


def test_bad_rows_are_refused_with_line_field_and_reason() -> None:
    text = "\n".join([
        HEADER,
        "1|contract-1|2026-12-01T08:00:00|Unknown|0|gres/gpu=8",
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
    assert [r.source_ref for r in parsed.rows] == ["10"]
    found = {(e.line, e.field) for e in parsed.errors}
    assert found == {(2, "End"), (3, "Account"), (4, "Start"), (5, "ElapsedRaw"),
                     (6, "AllocTRES"), (7, "End"), (8, None), (9, "ElapsedRaw"),
                     (10, "JobID")}
    reasons = {e.line: e.reason for e in parsed.errors}
    assert "not ended" in reasons[2]
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
