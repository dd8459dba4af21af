"""Reconciliation flags and billable GPU-seconds, computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from suanli.metering.reconcile import Accepted, Flag, Terms, reconcile
from suanli.metering.rows import Source, UsageRow

T0 = datetime(2026, 12, 1, tzinfo=UTC)
ATTESTED = frozenset({"GPU-a", "GPU-b", "GPU-c", "GPU-d", "GPU-e", "GPU-f"})
WHOLE = ((T0, T0 + timedelta(hours=10)),)
TERMS = Terms(starts_at=T0, ends_at=T0 + timedelta(hours=10), gpus=4, attested=ATTESTED,
              placed={u: WHOLE for u in ("GPU-a", "GPU-b", "GPU-c", "GPU-d", "GPU-e")})


def row(start_h: float, end_h: float, *, gpus: int = 1, uuid: str | None = None,
        ref: str = "r", used: int | None = None) -> UsageRow:
    start, end = T0 + timedelta(hours=start_h), T0 + timedelta(hours=end_h)
    seconds = int((end - start).total_seconds())
    return UsageRow(1, Source.JSON, ref, 1, uuid, gpus, start, end,
                    used if used is not None else gpus * seconds)


def test_clean_rows_bill_in_full() -> None:
    (v1, v2) = reconcile(TERMS, [], [row(0, 1, gpus=2, ref="a"), row(0, 1, gpus=1, ref="b")])
    assert (v1.flags, v1.billable_gpu_seconds) == ((), 7200)
    assert (v2.flags, v2.billable_gpu_seconds) == ((), 3600)
    (v3,) = reconcile(TERMS, [], [row(0, 1, uuid="GPU-a")])
    assert (v3.flags, v3.billable_gpu_seconds) == ((), 3600)


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


def test_two_jobs_of_the_same_size_and_interval_are_two_usages() -> None:
    # Array tasks 4242_1 and 4242_2: one GPU each, started and ended together.
    accepted = [Accepted(None, 1, T0, T0 + timedelta(hours=1), "4242_1")]
    second, third = reconcile(TERMS, accepted, [row(0, 1, gpus=1, ref="4242_2"),
                                               row(0, 1, gpus=1, ref="4242_3")])
    assert second.flags == () and second.billable_gpu_seconds == 3600
    assert third.flags == () and third.billable_gpu_seconds == 3600


def test_gpu_time_reported_as_a_count_and_by_uuid_counts_once() -> None:
    # sacct says 2 GPUs for an hour; DCGM names GPU-a and GPU-b for the same hour.
    accepted = [Accepted(None, 2, T0, T0 + timedelta(hours=1), "4242")]
    a, b, c = reconcile(TERMS, accepted, [row(0, 1, uuid="GPU-a"), row(0, 1, uuid="GPU-b"),
                                          row(0, 1, uuid="GPU-c")])
    assert (a.flags, a.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 0)
    assert (b.flags, b.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 0)
    assert (c.flags, c.billable_gpu_seconds) == ((), 3600)  # a third GPU beyond the count
    # The other way round: named GPUs first, then a count covering them and one more.
    named = [Accepted(u, 1, T0, T0 + timedelta(hours=1)) for u in ("GPU-a", "GPU-b")]
    (count,) = reconcile(TERMS, named, [row(0, 1, gpus=3, ref="4243")])
    assert (count.flags, count.billable_gpu_seconds) == ((Flag.DUPLICATE_INTERVAL,), 3600)


def test_a_gpu_not_placed_on_the_contract_bills_only_while_placed() -> None:
    terms = Terms(TERMS.starts_at, TERMS.ends_at, 4, ATTESTED,
                  placed={"GPU-a": ((T0, T0 + timedelta(hours=1)),)})
    moved, never = reconcile(terms, [], [row(0, 2, uuid="GPU-a"), row(0, 1, uuid="GPU-f")])
    assert (moved.flags, moved.billable_gpu_seconds) == ((Flag.UNPLACED_GPU,), 3600)
    assert (never.flags, never.billable_gpu_seconds) == ((Flag.UNPLACED_GPU,), 0)


def test_above_contracted_gpus_bills_up_to_the_cap() -> None:
    accepted = [Accepted(None, 3, T0, T0 + timedelta(hours=2), "j1")]
    over, third = reconcile(TERMS, accepted, [
        row(1, 3, gpus=2, ref="j2"),  # 1-2: 3+2 > 4, one GPU over for an hour
        row(1.5, 2.5, gpus=1, ref="j3"),  # 1.5-2 full (4 in use); 2-2.5: 2+1 fits
    ])
    assert over.flags == (Flag.ABOVE_CONTRACTED_GPUS,)
    assert over.billable_gpu_seconds == 2 * 7200 - 3600
    assert third.flags == (Flag.ABOVE_CONTRACTED_GPUS,)
    assert third.billable_gpu_seconds == 1800
    named = [Accepted(u, 1, T0, T0 + timedelta(hours=1)) for u in ("GPU-a", "GPU-b", "GPU-c")]
    fourth, fifth = reconcile(TERMS, named, [row(0, 1, uuid="GPU-d"), row(0, 1, uuid="GPU-e")])
    assert (fourth.flags, fourth.billable_gpu_seconds) == ((), 3600)
    assert (fifth.flags, fifth.billable_gpu_seconds) == ((Flag.ABOVE_CONTRACTED_GPUS,), 0)


def test_flags_combine() -> None:
    (verdict,) = reconcile(TERMS, [], [row(9, 12, gpus=6, ref="big")])
    assert set(verdict.flags) == {Flag.OUTSIDE_WINDOW, Flag.ABOVE_CONTRACTED_GPUS}
    assert verdict.billable_gpu_seconds == 4 * 3600
