"""Reconciliation of usage against its contract (pure).

Each new record is checked, in the order it arrives, against the contract's terms and the
records already accepted, and gets flags and the GPU-seconds it may bill:

* `outside_window`: the record reaches outside the contract's start-end; only the part
  inside bills (a record wholly outside bills nothing).
* `unattested_gpu`: a named GPU the contract's cluster never attested; bills nothing.
* `unplaced_gpu`: a named GPU that the contract's placement did not hold at the time (see
  the market's placement); only the time it was placed bills.
* `duplicate_interval`: a named GPU already reported for (part of) the interval; or GPU time
  the contract already has from the other kind of report: at each moment the contract bills
  the larger of its counted GPUs (Slurm allocations) and its named GPUs (DCGM, the agent),
  never their sum, so the same GPU time reported both ways counts once. Two count records of
  the same size and interval are two jobs (two array tasks), both billed.
* `above_contracted_gpus`: at some moment the GPUs reported for the contract exceed the
  contracted number; the excess bills nothing.

Records are stored whatever their flags (they are evidence); settlement bills only
`billable_gpu_seconds`. The first record to arrive keeps its time: a later one that repeats
or exceeds it is the one flagged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from suanli.metering.rows import UsageRow


class Flag(StrEnum):
    OUTSIDE_WINDOW = "outside_window"
    UNATTESTED_GPU = "unattested_gpu"
    UNPLACED_GPU = "unplaced_gpu"
    DUPLICATE_INTERVAL = "duplicate_interval"
    ABOVE_CONTRACTED_GPUS = "above_contracted_gpus"


Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Terms:
    """What the contract promised, the GPUs its cluster proved it has, and when each GPU
    was placed on the contract."""

    starts_at: datetime
    ends_at: datetime
    gpus: int
    attested: frozenset[str]
    placed: Mapping[str, Sequence[Interval]] = field(default_factory=dict)


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
    """Counted and named GPUs in use over time, on segments between every endpoint."""

    def __init__(self, points: set[int], cap: int) -> None:
        self.points = sorted(points)
        size = max(len(self.points) - 1, 0)
        self.counted, self.named = [0] * size, [0] * size
        self.cap = cap

    def take(self, span: Span, gpus: int, *, named: bool) -> tuple[int, int]:
        """Book `gpus` over `span`: the GPU-seconds beyond the cap, and those the other
        kind of report already covers."""
        i, j = bisect_left(self.points, span[0]), bisect_left(self.points, span[1])
        mine, other = (self.named, self.counted) if named else (self.counted, self.named)
        cap, over, covered = self.cap, 0, 0
        for k in range(i, j):
            had, them = mine[k], other[k]
            alone = min(cap, had + gpus) - min(cap, had)
            gain = min(cap, max(had + gpus, them)) - min(cap, max(had, them))
            seconds = self.points[k + 1] - self.points[k]
            over += (gpus - alone) * seconds
            covered += (alone - gain) * seconds
            mine[k] = had + gpus
        return over, covered


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


def _within(span: Span, allowed: list[Span]) -> list[Span]:
    """The parts of `span` inside any of `allowed` (which do not overlap)."""
    out = []
    for a, b in sorted(allowed):
        lo, hi = max(a, span[0]), min(b, span[1])
        if hi > lo:
            out.append((lo, hi))
    return out


def reconcile(terms: Terms, accepted: Sequence[Accepted], rows: Sequence[UsageRow]
              ) -> list[Verdict]:
    """Flags and billable GPU-seconds of each new row (in order), given what was accepted."""
    window = (_s(terms.starts_at), _s(terms.ends_at))
    old = [(a, _clip((_s(a.started_at), _s(a.ended_at)), window)) for a in accepted]
    new = [(r, (_s(r.started_at), _s(r.ended_at))) for r in rows]
    placed = {u: [(_s(a), _s(b)) for a, b in spans] for u, spans in terms.placed.items()}
    points = {window[0], window[1]}
    for _, span in old:
        if span is not None:
            points.update(span)
    for _, raw in new:
        points.update((max(window[0], min(raw[0], window[1])),
                       max(window[0], min(raw[1], window[1]))))
    for spans in placed.values():
        points.update(max(window[0], min(p, window[1])) for span in spans for p in span)
    occupancy = _Occupancy(points, terms.gpus)
    by_uuid: dict[str, list[Span]] = defaultdict(list)
    for item, span in old:
        if span is None:
            continue
        occupancy.take(span, item.gpus, named=item.gpu_uuid is not None)
        if item.gpu_uuid is not None:
            by_uuid[item.gpu_uuid].append(span)
    return [_one(row, raw, terms, window, placed, occupancy, by_uuid) for row, raw in new]


def _clip(span: Span, window: Span) -> Span | None:
    a, b = max(span[0], window[0]), min(span[1], window[1])
    return (a, b) if b > a else None


def _one(row: UsageRow, raw: Span, terms: Terms, window: Span, placed: dict[str, list[Span]],
         occupancy: _Occupancy, by_uuid: dict[str, list[Span]]) -> Verdict:
    flags: list[Flag] = []
    span = _clip(raw, window)
    if span != raw:
        flags.append(Flag.OUTSIDE_WINDOW)
    if span is None:
        return Verdict(tuple(flags), 0)
    # What the row may bill at most once clipped: its GPU-seconds in proportion.
    full = row.gpus * (span[1] - span[0])
    billable = row.gpu_seconds * (span[1] - span[0]) // max(raw[1] - raw[0], 1)
    pieces = [span]
    if row.gpu_uuid is not None:
        if row.gpu_uuid not in terms.attested:
            return Verdict((*flags, Flag.UNATTESTED_GPU), 0)
        pieces = _within(span, placed.get(row.gpu_uuid, []))
        if pieces != [span]:
            flags.append(Flag.UNPLACED_GPU)
        fresh = [p for piece in pieces for p in _minus(piece, by_uuid[row.gpu_uuid])]
        if fresh != pieces:
            flags.append(Flag.DUPLICATE_INTERVAL)
        by_uuid[row.gpu_uuid].extend(fresh)
        pieces = fresh
    kept = row.gpus * sum(b - a for a, b in pieces)
    over = covered = 0
    for piece in pieces:
        o, c = occupancy.take(piece, row.gpus, named=row.gpu_uuid is not None)
        over, covered = over + o, covered + c
    if covered and Flag.DUPLICATE_INTERVAL not in flags:
        flags.append(Flag.DUPLICATE_INTERVAL)
    if over:
        flags.append(Flag.ABOVE_CONTRACTED_GPUS)
    # Scale the repeated and excess time by how much of its allocation the row used.
    billable = billable * (kept - over - covered) // full if full else 0
    return Verdict(tuple(flags), max(billable, 0))
