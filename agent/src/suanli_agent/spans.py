"""GPU-busy intervals from a series of scrapes (pure).

Scrapes carry no timestamps, so each poll is stamped with the agent's clock when it is
read. A GPU seen busy at consecutive polls t1 .. tn was busy over [t1, tn]: the interval
starts at the first busy poll and ends at the last, never guessing what happened between
polls (at most one polling interval is lost at each end, none is invented). A poll that
finds the GPU idle, or a gap in polling longer than ``max_gap`` (the agent was down), or a
GPU no longer reported, closes its interval at the last busy poll. A GPU busy for longer
than ``flush_after`` is cut there, so long jobs are reported as they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Span:
    """A GPU's busy interval: from ``start`` to ``last`` (both poll times)."""

    uuid: str
    start: datetime
    last: datetime


def step(open_spans: Mapping[str, Span], busy: Mapping[str, bool], *, now: datetime,
         last_poll: datetime | None, max_gap: timedelta, flush_after: timedelta
         ) -> tuple[dict[str, Span], list[Span]]:
    """The open intervals after a poll at ``now``, and the intervals it closed.

    Closed intervals always have ``last > start``; zero-length ones (one busy poll) are
    dropped.
    """
    closed: list[Span] = []
    spans = dict(open_spans)
    if last_poll is None or now <= last_poll or now - last_poll > max_gap:
        closed += spans.values()  # the agent was away: nothing is bridged across a gap
        spans = {}
    for uuid in [u for u in spans if u not in busy]:
        closed.append(spans.pop(uuid))  # the GPU is no longer reported
    for uuid, is_busy in sorted(busy.items()):
        span = spans.get(uuid)
        if not is_busy:
            if span is not None:
                closed.append(spans.pop(uuid))
        elif span is None:
            spans[uuid] = Span(uuid, now, now)
        elif now - span.start >= flush_after:
            closed.append(Span(uuid, span.start, now))
            spans[uuid] = Span(uuid, now, now)
        else:
            spans[uuid] = Span(uuid, span.start, now)
    return spans, [s for s in closed if s.last > s.start]
