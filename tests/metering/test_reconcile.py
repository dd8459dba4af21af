"""Reconciliation flags and billable GPU-seconds, computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from suanli.metering.reconcile import Accepted, Flag, Terms, reconcile
from suanli.metering.rows import Source, UsageRow

T0 = datetime(2026, 12, 1, tzinfo=UTC)
TERMS = Terms(starts_at=T0, ends_at=T0 + timedelta(hours=10), gpus=4,
              attested=frozenset({"GPU-a", "GPU-b", "GPU-c", "GPU-d", "GPU-e"}))


def row(start_h: float, end_h: float, *, gpus: int = 1, uuid: str | None = None,
        ref: str = "r", used: int | None = None) -> UsageRow:
    start, end = T0 + timedelta(hours=start_h), T0 + timedelta(hours=end_h)
    seconds = int((end - start).total_seconds())
    return UsageRow(1, Source.JSON, ref, 1, uuid, gpus, start, end,
                    used if used is not None else gpus * seconds)


def test_clean_rows_bill_in_full() -> None:
    (v1, v2) = reconcile(TERMS, [], [row(0, 1, gpus=2, ref="a"), row(0, 1, uuid="GPU-a")])
    assert (v1.flags, v1.billable_gpu_seconds) == ((), 7200)
    assert (v2.flags, v2.billable_gpu_seconds) == ((), 3600)


def test_outside_window_bills_only_the_inside_part() -> None:
    before, straddle = reconcile(TERMS, [], [row(-2, -1, gpus=2, ref="x"),
                                            row(9, 11, gpus=2, ref="y", used=7200)])
    assert before.flags == (Flag.OUTSIDE_WINDOW,) and before.billable_gpu_seconds == 0
    # Half the interval inside, and only half the allocation used: 7200 * 1/2.
    assert straddle.flags == (Flag.OUTSIDE_WINDOW,) and straddle.billable_gpu_seconds == 3600


def test_unattested_gpu_bills_nothing() -> None:
    (verdict,) = reconcile(TERMS, [], [row(0, 1, uuid="GPU-zzz")])
    assert verdict == verdict.__class__((Flag.UNATTESTED_GPU,), 0)


def test_repeated_gpu_time_is_a_duplicate() -> None:
    accepted = [Accepted("GPU-a", 1, T0, T0 + timedelta(hours=2))]
    same, half, later = reconcile(TERMS, accepted, [
        row(0, 2, uuid="GPU-a"), row(1, 3, uuid="GPU-a"), row(2.5, 4, uuid="GPU-a")])
    assert (same.flags, same.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 0)
    assert (half.flags, half.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 3600)
    # 2.5-3 was billed by the row before: 1.5 h less half an hour.
    assert (later.flags, later.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 3600)


def test_same_count_interval_under_another_ref_is_a_duplicate() -> None:
    accepted = [Accepted(None, 2, T0, T0 + timedelta(hours=1), "job-1")]
    again, other = reconcile(TERMS, accepted, [row(0, 1, gpus=2, ref="job-9"),
                                              row(0, 1, gpus=1, ref="job-10")])
    assert again.flags == (Flag.DUPLICATE_INTERVAL,) and again.billable_gpu_seconds == 0
    assert other.flags == () and other.billable_gpu_seconds == 3600


def test_above_contracted_gpus_bills_up_to_the_cap() -> None:
    accepted = [Accepted(None, 3, T0, T0 + timedelta(hours=2), "j1")]
    over, named = reconcile(TERMS, accepted, [
        row(1, 3, gpus=2, ref="j2"),  # 1-2: 3+2 > 4, one GPU over for an hour
        row(1.5, 2.5, uuid="GPU-a"),  # 1.5-2 full (4 in use); 2-2.5: 2+1 fits
    ])
    assert over.flags == (Flag.ABOVE_CONTRACTED_GPUS,)
    assert over.billable_gpu_seconds == 2 * 7200 - 3600
    assert named.flags == (Flag.ABOVE_CONTRACTED_GPUS,)
    assert named.billable_gpu_seconds == 1800


def test_flags_combine() -> None:
    (verdict,) = reconcile(TERMS, [], [row(9, 12, gpus=6, ref="big")])
    assert set(verdict.flags) == {Flag.OUTSIDE_WINDOW, Flag.ABOVE_CONTRACTED_GPUS}
    assert verdict.billable_gpu_seconds == 4 * 3600
