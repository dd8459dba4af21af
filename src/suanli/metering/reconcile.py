"""Reconciliation of usage against its contract (pure).

Each new record is checked, in the order it arrives, against the contract's terms and the
records already accepted, and gets flags and the GPU-seconds it may bill:

* `outside_window`: the record reaches outside the contract's start-end; only the part
  inside bills (a record wholly outside bills nothing).
* `unattested_gpu`: a named GPU the contract's cluster never attested; bills nothing.
* `duplicate_interval`: a named GPU already reported for (part of) the interval, or a GPU
  count whose exact interval and count were already reported under another reference; the
  repeated time bills nothing.
* `above_contracted_gpus`: at some moment the GPUs reported for the contract exceed the
  contracted number; the excess bills nothing.

Records are stored whatever their flags (they are evidence); settlement bills only
`billable_gpu_seconds`. The first record to arrive keeps its time: a later one that repeats
or exceeds it is the one flagged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from suanli.metering.rows import UsageRow


class Flag(StrEnum):
    OUTSIDE_WINDOW = "outside_window"
    UNATTESTED_GPU = "unattested_gpu"
    DUPLICATE_INTERVAL = "duplicate_interval"
    ABOVE_CONTRACTED_GPUS = "above_contracted_gpus"


@dataclass(frozen=True)
class Terms:
    """What the contract promised, and the GPUs its cluster proved it has."""

    starts_at: datetime
    ends_at: datetime
    gpus: int
    attested: frozenset[str]


@dataclass(frozen=True)
class Accepted:
    """A record already stored for the contract that bills something."""

    gpu_uuid: str | None
    gpus: int
    started_at: datetime
    ended_at: datetime
    source_ref: str = ""


@dataclass(frozen=True)
class Verdict:
    flags: tuple[Flag, ...]
    billable_gpu_seconds: int


Span = tuple[int, int]


def _s(value: datetime) -> int:
    return int(value.timestamp())


class _Occupancy:
    """GPUs in use over time, on segments between every endpoint of the batch."""

    def __init__(self, points: set[int], cap: int) -> None:
        self.points = sorted(points)
        self.used = [0] * max(len(self.points) - 1, 0)
        self.cap = cap

    def take(self, span: Span, gpus: int) -> int:
        """Book `gpus` over `span` up to the cap; returns the GPU-seconds beyond it."""
        i, j = bisect_left(self.points, span[0]), bisect_left(self.points, span[1])
        excess = 0
        for k in range(i, j):
            room = max(0, self.cap - self.used[k])
            booked = min(gpus, room)
            excess += (gpus - booked) * (self.points[k + 1] - self.points[k])
            self.used[k] += booked
        return excess


def _minus(span: Span, taken: list[Span]) -> list[Span]:
    """The parts of `span` not covered by any of `taken`."""
    free, cursor = [], span[0]
    for a, b in sorted(taken):
        if b <= cursor or a >= span[1]:
            continue
        if a > cursor:
            free.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < span[1]:
        free.append((cursor, span[1]))
    return free


def reconcile(terms: Terms, accepted: Sequence[Accepted], rows: Sequence[UsageRow]
              ) -> list[Verdict]:
    """Flags and billable GPU-seconds of each new row (in order), given what was accepted."""
    window = (_s(terms.starts_at), _s(terms.ends_at))
    old = [(a, _clip((_s(a.started_at), _s(a.ended_at)), window)) for a in accepted]
    new = [(r, (_s(r.started_at), _s(r.ended_at))) for r in rows]
    points = {window[0], window[1]}
    for _, span in old:
        if span is not None:
            points.update(span)
    for _, raw in new:
        points.update((max(window[0], min(raw[0], window[1])),
                       max(window[0], min(raw[1], window[1]))))
    occupancy = _Occupancy(points, terms.gpus)
    by_uuid: dict[str, list[Span]] = defaultdict(list)
    counts: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for item, span in old:
        if span is None:
            continue
        occupancy.take(span, item.gpus)
        if item.gpu_uuid is not None:
            by_uuid[item.gpu_uuid].append(span)
        else:
            counts[(*span, item.gpus)].add(item.source_ref)
    return [_one(row, raw, terms, window, occupancy, by_uuid, counts) for row, raw in new]


def _clip(span: Span, window: Span) -> Span | None:
    a, b = max(span[0], window[0]), min(span[1], window[1])
    return (a, b) if b > a else None


def _one(row: UsageRow, raw: Span, terms: Terms, window: Span, occupancy: _Occupancy,
         by_uuid: dict[str, list[Span]], counts: dict[tuple[int, int, int], set[str]]
         ) -> Verdict:
    flags: list[Flag] = []
    span = _clip(raw, window)
    if span != raw:
        flags.append(Flag.OUTSIDE_WINDOW)
    if span is None:
        return Verdict(tuple(flags), 0)
    # What the row may bill at most once clipped: its GPU-seconds in proportion.
    full = row.gpus * (span[1] - span[0])
    billable = row.gpu_seconds * (span[1] - span[0]) // max(raw[1] - raw[0], 1)
    if row.gpu_uuid is not None and row.gpu_uuid not in terms.attested:
        return Verdict((*flags, Flag.UNATTESTED_GPU), 0)
    pieces = [span]
    if row.gpu_uuid is not None:
        pieces = _minus(span, by_uuid[row.gpu_uuid])
        if pieces != [span]:
            flags.append(Flag.DUPLICATE_INTERVAL)
        by_uuid[row.gpu_uuid].extend(pieces)
    else:
        key = (*span, row.gpus)
        if counts[key] - {row.source_ref}:
            return Verdict((*flags, Flag.DUPLICATE_INTERVAL), 0)
        counts[key].add(row.source_ref)
    kept = row.gpus * sum(b - a for a, b in pieces)
    excess = sum(occupancy.take(piece, row.gpus) for piece in pieces)
    if excess:
        flags.append(Flag.ABOVE_CONTRACTED_GPUS)
    # Scale the repeated and excess time by how much of its allocation the row used.
    billable = billable * (kept - excess) // full if full else 0
    return Verdict(tuple(flags), max(billable, 0))
