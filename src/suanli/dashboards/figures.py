"""Dashboard figures from plain rows (pure).

* Utilisation of a hub over a window = GPU-hours booked by contracts that are not
  cancelled / GPU-hours listed by offers, both clipped to the window. An offer lists its
  GPUs from its start until its end or until it was withdrawn. Data centres outside the
  ten hubs count under `city`.
* Volume adds up contracts matched in a window: count, GPU-hours, value and subsidy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

NO_HUB = "city"
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Span:
    """GPUs held over a time span at a hub (an offer's listing or a contract's booking)."""

    hub: str | None
    gpus: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HubUse:
    hub: str
    listed_gpu_hours: Decimal
    booked_gpu_hours: Decimal

    @property
    def percent(self) -> Decimal:
        """Booked as a percentage of listed, to a tenth (0 when nothing was listed)."""
        if not self.listed_gpu_hours:
            return Decimal(0)
        share = self.booked_gpu_hours * 100 / self.listed_gpu_hours
        return share.quantize(TENTH, rounding=ROUND_HALF_EVEN)


def _gpu_seconds(span: Span, start: datetime, end: datetime) -> int:
    lo, hi = max(span.start, start), min(span.end, end)
    return 0 if hi <= lo else span.gpus * int((hi - lo).total_seconds())


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def utilisation(listed: Iterable[Span], booked: Iterable[Span], *, start: datetime,
                end: datetime) -> list[HubUse]:
    """Per hub (by name; `city` last), listed and booked GPU-hours within [start, end)."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    seconds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index, spans in enumerate((listed, booked)):
        for span in spans:
            used = _gpu_seconds(span, start, end)
            if used:
                seconds[span.hub or NO_HUB][index] += used
    order = sorted(seconds, key=lambda hub: (hub == NO_HUB, hub))
    return [HubUse(hub, _hours(seconds[hub][0]), _hours(seconds[hub][1])) for hub in order]


def overall(uses: Iterable[HubUse]) -> HubUse:
    """All hubs together."""
    rows = list(uses)
    return HubUse("all", sum((u.listed_gpu_hours for u in rows), Decimal(0)),
                  sum((u.booked_gpu_hours for u in rows), Decimal(0)))


@dataclass(frozen=True)
class Volume:
    contracts: int = 0
    gpu_hours: int = 0
    value_fen: int = 0
    subsidy_fen: int = 0

    @property
    def average_price_fen(self) -> int:
        """GPU-hour-weighted price (0 when nothing traded)."""
        if not self.gpu_hours:
            return 0
        return int((Decimal(self.value_fen) / self.gpu_hours).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN))


def volume(contracts: Iterable[tuple[int, int, int]]) -> Volume:
    """Contracts as (GPU-hours, value in fen, subsidy in fen), added up."""
    count = hours = value = subsidy = 0
    for gpu_hours, value_fen, subsidy_fen in contracts:
        count += 1
        hours += gpu_hours
        value += value_fen
        subsidy += subsidy_fen
    return Volume(count, hours, value, subsidy)
