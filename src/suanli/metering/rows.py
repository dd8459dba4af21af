"""What every parser yields: usage rows to store and row errors to report (pure).

A usage row is one stretch of delivered GPU time for one contract: either named GPUs (one
row per GPU UUID, `gpus == 1`) or a count of GPUs (a Slurm allocation). `line` is the line
of the input it came from, so that a report can point at it.

Parsers stream: they yield rows and errors one at a time while counting, in a `Tally`, the
lines read and the lines passed over on purpose (by reason), so that a file of any size is
imported in constant memory.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

CONTRACT_ACCOUNT = re.compile(r"^contract-(\d{1,18})$", re.IGNORECASE)
MAX_REF = 200
MAX_UUID = 100
MAX_SPAN_S = 31 * 86400  # a row longer than a month is a mistake, not a measurement
STAMP = "%Y-%m-%dT%H:%M:%SZ"


class Format(StrEnum):
    """The file formats `suanli metering import` reads."""

    SACCT = "sacct"
    PROMETHEUS = "prometheus"
    JSON = "json"


class Source(StrEnum):
    """Where a row came from; part of a record's natural key."""

    JSON = "json"  # the JSON API and JSON Lines files: the same format
    SACCT = "sacct"
    PROMETHEUS = "prometheus"


@dataclass(frozen=True, slots=True)
class UsageRow:
    line: int
    source: Source
    source_ref: str
    contract_id: int | None  # None: to be found from the GPU UUID (Prometheus)
    gpu_uuid: str | None
    gpus: int
    started_at: datetime
    ended_at: datetime
    gpu_seconds: int
    utilisation_pct: float | None = None  # mean GPU utilisation, kept for reports
    hostname: str | None = None
    cluster_id: int | None = None  # named by the reporter: its GPUs are found there

    @property
    def seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was refused: where it was and why."""

    line: int
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"line {self.line}: {where}{self.reason}"


Item = UsageRow | RowError


@dataclass
class Tally:
    """What a streaming parser counted: lines read, and lines passed over by reason."""

    lines: int = 0
    passed: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        return sum(self.passed.values())


@dataclass
class Parsed(Tally):
    """A parser's whole answer (small inputs and tests): rows, rows refused, lines passed."""

    rows: list[UsageRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def take(self, items: Iterable[Item]) -> Parsed:
        for item in items:
            if isinstance(item, RowError):
                self.errors.append(item)
            else:
                self.rows.append(item)
        return self


def interval_ref(started_at: datetime, ended_at: datetime) -> str:
    """The reference of a row known only by its interval (`start/end`, UTC)."""
    return f"{started_at:{STAMP}}/{ended_at:{STAMP}}"


def split_ref(ref: str, whole: tuple[datetime, datetime], part: tuple[datetime, datetime]
              ) -> str:
    """The reference of part of a row: its own interval for a row known by its interval,
    else the reporter's reference with the part's start (`4242@2026-12-01T00:00:00Z`)."""
    if part == whole:
        return ref
    if ref == interval_ref(*whole):
        return interval_ref(*part)
    return f"{ref[:MAX_REF - 21]}@{part[0]:{STAMP}}"


def contract_from_account(text: str) -> int | None:
    """The contract id of a Slurm account or label `contract-<id>`, or None."""
    match = CONTRACT_ACCOUNT.match(text.strip())
    return int(match.group(1)) if match else None


def check_span(started_at: datetime, ended_at: datetime) -> str | None:
    """Why an interval is unusable, or None."""
    seconds = (ended_at - started_at).total_seconds()
    if seconds <= 0:
        return "end must be after start"
    if seconds > MAX_SPAN_S:
        return "an interval may span at most 31 days"
    return None
