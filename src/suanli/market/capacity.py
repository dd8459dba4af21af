"""Time slots and free capacity (pure: no database, no web).

Capacity is counted per slot of a grid that starts at ``origin`` and steps by whole
hours. A window offered for sale covers only the slots that lie wholly inside it
(its start rounds up, its end down); a booking occupies every slot it touches (its
start rounds down, its end up), so rounding can hide capacity but never over-sell it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)


def next_whole_hour(moment: datetime) -> datetime:
    """The first whole hour at or after ``moment`` (UTC hours; Shanghai is a whole offset)."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


def floor_hour(moment: datetime) -> datetime:
    """The whole hour at or before ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def _slots(moment: datetime, origin: datetime, slot_hours: int) -> float:
    return (moment - origin) / (HOUR * slot_hours)


def slot_at_or_after(moment: datetime, origin: datetime, slot_hours: int = 1) -> int:
    """The first slot that begins at or after ``moment``."""
    return math.ceil(_slots(moment, origin, slot_hours))


def slot_at_or_before(moment: datetime, origin: datetime, slot_hours: int = 1) -> int:
    """The slot boundary at or before ``moment``."""
    return math.floor(_slots(moment, origin, slot_hours))


def slot_start(slot: int, origin: datetime, slot_hours: int = 1) -> datetime:
    return origin + HOUR * slot_hours * slot


def window_slots(start: datetime, end: datetime, origin: datetime, slots: int,
                 slot_hours: int = 1) -> tuple[int, int]:
    """The slots wholly inside ``[start, end)``, clipped to ``[0, slots)``; may be empty."""
    first = min(slots, max(0, slot_at_or_after(start, origin, slot_hours)))
    last = min(slots, slot_at_or_before(end, origin, slot_hours))
    return first, max(first, last)


@dataclass(frozen=True)
class Booking:
    """GPUs taken from an offer during ``[start, end)``."""

    start: datetime
    end: datetime
    gpus: int


def held_until(end: datetime, cancelled_at: datetime | None) -> datetime:
    """Until when a contract holds its GPUs: its end, or the end of the hour it was
    cancelled in (nobody can buy an hour that has begun, so that hour stays taken)."""
    return end if cancelled_at is None else min(end, next_whole_hour(cancelled_at))


@dataclass(frozen=True)
class Load:
    """GPUs a listing or a sale takes from a cluster over the whole hours ``[start, end)``."""

    start: datetime
    end: datetime
    gpus: int


def listed(start: datetime, end: datetime, gpus: int) -> Load:
    """What an offer's window takes: the hours wholly inside it (those it can sell)."""
    first, last = next_whole_hour(start), floor_hour(end)
    return Load(first, max(first, last), gpus)


def booked(start: datetime, end: datetime, gpus: int) -> Load:
    """What a contract takes: every hour it touches."""
    return Load(floor_hour(start), next_whole_hour(end), gpus)


def _levels(loads: Iterable[Load]) -> Iterator[tuple[datetime, int]]:
    """(hour, GPUs taken from that hour until the next one yielded), in time order."""
    deltas: dict[datetime, int] = defaultdict(int)
    for load in loads:
        if load.start < load.end and load.gpus:
            deltas[load.start] += load.gpus
            deltas[load.end] -= load.gpus
    total = 0
    for at in sorted(deltas):
        total += deltas[at]
        yield at, total


def peak(loads: Iterable[Load], start: datetime, end: datetime) -> tuple[datetime, int]:
    """The first hour in ``[start, end)`` where the loads add up to the most, and that sum
    (``(start, 0)`` when nothing is taken there)."""
    clipped = (Load(max(x.start, start), min(x.end, end), x.gpus) for x in loads)
    best = (start, 0)
    for at, total in _levels(clipped):
        if total > best[1]:
            best = (at, total)
    return best


def first_excess(loads: Iterable[Load], capacity: int) -> tuple[datetime, int] | None:
    """The first hour where the loads together exceed ``capacity``, and their sum there."""
    return next(((at, total) for at, total in _levels(loads) if total > capacity), None)


def free_profile(gpus: int, window: tuple[datetime, datetime], bookings: Iterable[Booking],
                 origin: datetime, slots: int, slot_hours: int = 1) -> list[int]:
    """Free GPUs of an offer in each slot of the grid (0 outside its window)."""
    first, last = window_slots(window[0], window[1], origin, slots, slot_hours)
    free = [gpus if first <= s < last else 0 for s in range(slots)]
    for booking in bookings:
        lo = max(0, slot_at_or_before(booking.start, origin, slot_hours))
        hi = min(slots, slot_at_or_after(booking.end, origin, slot_hours))
        for s in range(lo, hi):
            free[s] -= booking.gpus
    return [max(0, value) for value in free]


def layers(profile: Sequence[int]) -> list[tuple[int, int, int]]:
    """Split a free-capacity profile into rectangles ``(start, end, gpus)``.

    The rectangles add up to the profile in every slot, and each is as long as it can
    be (the "skyline" split): an order fits one rectangle wherever the profile allows
    its GPUs over its whole run, except where it would straddle two steps.
    """
    out: list[tuple[int, int, int]] = []
    _split(list(profile), 0, len(profile), out)
    return sorted(out)


def _split(profile: list[int], lo: int, hi: int, out: list[tuple[int, int, int]]) -> None:
    s = lo
    while s < hi:
        if profile[s] <= 0:
            s += 1
            continue
        e = s
        while e < hi and profile[e] > 0:
            e += 1
        low = min(profile[s:e])
        out.append((s, e, low))
        for i in range(s, e):
            profile[i] -= low
        _split(profile, s, e, out)
        s = e


def first_fit(profile: Sequence[int], gpus: int, duration: int, earliest: int,
              latest_end: int) -> int | None:
    """The earliest start at which ``gpus`` are free for ``duration`` slots, or None."""
    run = 0
    for s in range(max(0, earliest), min(latest_end, len(profile))):
        run = run + 1 if profile[s] >= gpus else 0
        if run >= duration:
            return s - duration + 1
    return None


def most_free(profile: Sequence[int], duration: int, earliest: int, latest_end: int) -> int:
    """The most GPUs free together for ``duration`` slots anywhere in the window."""
    best = 0
    for s in range(max(0, earliest), min(latest_end, len(profile)) - duration + 1):
        best = max(best, min(profile[s:s + duration]))
    return best
