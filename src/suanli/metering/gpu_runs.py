"""From GPU samples to usage rows, streaming (pure).

Consecutive samples of one GPU at most `max_gap_s` apart (default 300 s) mean the GPU was
allocated, and so delivered, for the time between them; a longer gap ends a run (the GPU was
away). A GPU counts as delivered while it is allocated to the contract *whatever its
utilisation*: an idle rented GPU is the renter's choice, exactly as with a Slurm allocation.
Utilisation (the mean of each pair's two samples, weighted by time) is kept on the record
for reports. Runs are cut at the hour, so one record is at most one GPU-hour and every
record falls within a settlement day.

Samples of each GPU must come in time order (Prometheus, federation and `promtool` all
write them so); series may interleave (one scrape after another) or follow each other (a
`promtool tsdb dump`). Only the open run of each GPU is held, so memory does not grow with
the input. The first and last sample of each GPU are kept as its *edges*: the importer joins
them to records already stored from the file before or after (`bridges`), so that no scrape
interval is lost where one file ends and the next begins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from suanli.metering.rows import Item, RowError, Source, Tally, UsageRow, interval_ref

MAX_GAP_S = 300
BUCKET_S = 3600
LONE = "lone samples of a GPU (no neighbour within the gap)"


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of one GPU."""

    uuid: str
    contract: int | None  # named by a label, or None: found from the placement
    at: int  # seconds since the epoch
    util: float
    line: int
    hostname: str | None = None


@dataclass(slots=True)
class _Segment:
    start: int
    end: int
    weighted: float  # utilisation x seconds
    line: int
    hostname: str | None


@dataclass(slots=True)
class _Series:
    first: Sample
    last: Sample
    samples: int = 1
    open: _Segment | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A GPU's first and last sample in one input."""

    uuid: str
    contract: int | None
    first: Sample
    last: Sample


Key = tuple[str, int | None]


class GpuRuns:
    """Feeds samples in, yields usage rows as runs close; `finish` closes the rest."""

    def __init__(self, tally: Tally, *, max_gap_s: int = MAX_GAP_S,
                 bucket_s: int = BUCKET_S) -> None:
        self.tally, self.max_gap_s, self.bucket_s = tally, max_gap_s, bucket_s
        self.series: dict[Key, _Series] = {}

    def add(self, sample: Sample) -> Iterator[Item]:
        key = (sample.uuid, sample.contract)
        series = self.series.get(key)
        if series is None:
            self.series[key] = _Series(sample, sample)
            return
        last = series.last
        if sample.at <= last.at:
            what = "a second sample" if sample.at == last.at else "a sample earlier than"
            yield RowError(sample.line, f"{what} the one of {sample.uuid} on line {last.line}; "
                                        "each GPU's samples must come in time order",
                           field="timestamp")
            return
        series.last, series.samples = sample, series.samples + 1
        if sample.at - last.at > self.max_gap_s:
            yield from self._close(series, key)
            return
        util = (last.util + sample.util) / 2
        for start, end in pieces(last.at, sample.at, self.bucket_s):
            current = series.open
            if current is not None and current.end == start and start % self.bucket_s != 0:
                current.end, current.weighted = end, current.weighted + util * (end - start)
                continue
            yield from self._close(series, key)
            series.open = _Segment(start, end, util * (end - start), last.line, last.hostname)

    def _close(self, series: _Series, key: Key) -> Iterator[UsageRow]:
        segment, series.open = series.open, None
        if segment is not None:
            yield row_of(key, segment.start, segment.end, segment.weighted, segment.line,
                         segment.hostname)

    def finish(self) -> Iterator[Item]:
        """The runs still open, in a stable order."""
        for key in sorted(self.series, key=lambda k: (k[0], k[1] or 0)):
            series = self.series[key]
            yield from self._close(series, key)
            if series.samples == 1:
                self.tally.passed[LONE] += 1

    def edges(self) -> list[Edge]:
        return [Edge(k[0], k[1], s.first, s.last) for k, s in sorted(
            self.series.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))]


def run(samples: Iterable[Sample | RowError], tally: Tally, *, max_gap_s: int = MAX_GAP_S,
        bucket_s: int = BUCKET_S, runs: GpuRuns | None = None) -> Iterator[Item]:
    """Rows (and the errors passed through) of a stream of samples."""
    runs = runs or GpuRuns(tally, max_gap_s=max_gap_s, bucket_s=bucket_s)
    for sample in samples:
        if isinstance(sample, RowError):
            yield sample
        else:
            yield from runs.add(sample)
    yield from runs.finish()


def pieces(start: int, end: int, bucket_s: int) -> Iterator[tuple[int, int]]:
    """[start, end) cut at every multiple of `bucket_s`."""
    while start < end:
        cut = min(end, (start // bucket_s + 1) * bucket_s)
        yield start, cut
        start = cut


def row_of(key: Key, start: int, end: int, weighted: float, line: int, hostname: str | None
           ) -> UsageRow:
    seconds = end - start
    began, ended = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    return UsageRow(line=line, source=Source.PROMETHEUS, source_ref=interval_ref(began, ended),
                    contract_id=key[1], gpu_uuid=key[0], gpus=1, started_at=began,
                    ended_at=ended, gpu_seconds=seconds,
                    utilisation_pct=round(weighted / seconds, 2), hostname=hostname)


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Stored records of a GPU next to an input's edge: the end of the latest record ended
    at most a gap before the first sample, the start of the earliest one begun at most a
    gap after the last sample (seconds since the epoch)."""

    ended_before: int | None
    started_after: int | None


def bridges(edges: Iterable[tuple[Edge, Neighbours]], *, max_gap_s: int = MAX_GAP_S,
            bucket_s: int = BUCKET_S) -> Iterator[UsageRow]:
    """Rows for the time between an input's edge samples and the stored records next to
    them: the scrape interval that neither file holds on its own."""
    for edge, near in edges:
        key = (edge.uuid, edge.contract)
        spans = []
        if near.ended_before is not None and 0 < edge.first.at - near.ended_before <= max_gap_s:
            spans.append((near.ended_before, edge.first.at, edge.first))
        if near.started_after is not None and 0 < near.started_after - edge.last.at <= max_gap_s:
            spans.append((edge.last.at, near.started_after, edge.last))
        for start, end, sample in spans:
            for a, b in pieces(start, end, bucket_s):
                yield row_of(key, a, b, sample.util * (b - a), sample.line, sample.hostname)
