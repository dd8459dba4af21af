"""Slots and free capacity (pure): rounding never over-sells, rectangles add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from suanli.market.capacity import (
    Booking,
    first_fit,
    free_profile,
    layers,
    most_free,
    next_whole_hour,
    window_slots,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)


def test_next_whole_hour() -> None:
    assert next_whole_hour(T0) == T0
    assert next_whole_hour(T0 + timedelta(minutes=1)) == T0 + H


def test_a_window_covers_whole_slots_and_a_booking_every_slot_it_touches() -> None:
    assert window_slots(T0 + timedelta(minutes=30), T0 + 5 * H + timedelta(minutes=30), T0,
                        10) == (1, 5)
    assert window_slots(T0 - 5 * H, T0 + 50 * H, T0, 10) == (0, 10)
    assert window_slots(T0 + 20 * H, T0 + 30 * H, T0, 10) == (10, 10)
    profile = free_profile(8, (T0, T0 + 10 * H),
                           [Booking(T0 + 2 * H + timedelta(minutes=10), T0 + 3 * H, 3)], T0, 10)
    assert profile == [8, 8, 5, 8, 8, 8, 8, 8, 8, 8]


def test_layers_split_a_profile_into_rectangles() -> None:
    assert layers([6, 6, 16, 16, 0, 4]) == [(0, 4, 6), (2, 4, 10), (5, 6, 4)]
    assert layers([]) == [] and layers([0, 0]) == []


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=60))
def test_layers_add_up_to_the_profile_in_every_slot(profile: list[int]) -> None:
    total = [0] * len(profile)
    for start, end, gpus in layers(profile):
        assert gpus > 0 and 0 <= start < end <= len(profile)
        for s in range(start, end):
            total[s] += gpus
    assert total == profile


def test_first_fit_and_most_free() -> None:
    profile = [4, 4, 8, 8, 8, 2, 8]
    assert first_fit(profile, 8, 3, 0, 7) == 2
    assert first_fit(profile, 8, 4, 0, 7) is None
    assert first_fit(profile, 4, 2, 3, 5) == 3
    assert most_free(profile, 3, 0, 7) == 8 and most_free(profile, 7, 0, 7) == 2
