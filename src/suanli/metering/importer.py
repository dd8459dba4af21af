"""Importing a whole file: stream it, cut into batches, one transaction per batch.

The parsers stream, so a file of any size is read in constant memory: rows are gathered
into batches of `batch_size` as they come, each with the row errors met since the last one.
Without `all_or_nothing`, valid rows land and refused ones are reported with their line and
reason; each batch commits on its own, so a crash loses at most the batch in flight, never
half of one, and running the import again skips what landed (natural keys). With
`all_or_nothing`, every batch runs in one transaction that is rolled back if any row,
anywhere, was refused. DCGM files end with one more batch: the scrape intervals that join
the file's first and last samples to records already stored from the files around it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import unit_of_work
from suanli.kit.timeutil import SHANGHAI
from suanli.metering import locate, parse_json, parse_prometheus, parse_sacct
from suanli.metering.gpu_runs import GpuRuns, Sample, run
from suanli.metering.models import Channel
from suanli.metering.rows import Format, Item, RowError, Tally, UsageRow
from suanli.metering.service import BatchReport, Reporter, import_batch

BATCH_ROWS = 1000
MAX_KEPT_ERRORS = 10_000  # refused rows listed in the report; all are counted
SOURCES = {Format.SACCT: "sacct", Format.PROMETHEUS: "prometheus", Format.JSON: "json"}
DEFAULT_ZONE = "Asia/Shanghai"


@dataclass
class ImportReport:
    run: str
    format: Format
    lines: int = 0
    rows: int = 0
    passed: Counter[str] = field(default_factory=Counter)  # lines passed over, by reason
    accepted: int = 0
    duplicates: int = 0
    flagged: int = 0
    batches: int = 0
    bridged: int = 0  # rows joining the file to records stored from the files around it
    refused: int = 0
    rejected: list[RowError] = field(default_factory=list)  # the first MAX_KEPT_ERRORS
    unattributed_gpu_seconds: Counter[str] = field(default_factory=Counter)  # by reason
    zones: dict[str, str] = field(default_factory=dict)  # local times read in: zone -> why
    committed: bool = True

    @property
    def skipped(self) -> int:
        return sum(self.passed.values())

    @property
    def usable(self) -> bool:
        """Whether anything in the file was usage of a contract (stored now or before)."""
        return self.accepted + self.duplicates > 0

    def add(self, batch: BatchReport) -> None:
        self.accepted += batch.accepted
        self.duplicates += batch.duplicates
        self.flagged += batch.flagged
        refused = [*batch.rejected, *batch.foreign]
        self.refused += len(refused)
        self.rejected.extend(refused[:max(MAX_KEPT_ERRORS - len(self.rejected), 0)])
        self.unattributed_gpu_seconds.update(batch.unattributed_gpu_seconds)
        self.batches += batch.batch_id is not None


class Zones:
    """The zone of local (offset-less) times per contract: `--tz` when given, else the
    time zone of the data centre serving the contract, else Asia/Shanghai. Remembers which
    it used, for the summary."""

    def __init__(self, lookup: Callable[[int], tuple[str | None, str] | None],
                 fixed: str | None = None) -> None:
        self.lookup, self.fixed = lookup, fixed
        self.cache: dict[int, tzinfo] = {}
        self.used: dict[str, str] = {}

    def __call__(self, contract_id: int) -> tzinfo:
        zone = self.cache.get(contract_id)
        if zone is None:
            name, why = self._choose(contract_id)
            zone = self.cache[contract_id] = SHANGHAI if name == DEFAULT_ZONE else ZoneInfo(name)
            self.used.setdefault(name, why)
        return zone

    def _choose(self, contract_id: int) -> tuple[str, str]:
        if self.fixed is not None:
            return self.fixed, "--tz"
        found = self.lookup(contract_id)
        if found is not None and found[0]:
            return found[0], f"the data centre of cluster {found[1]}"
        return DEFAULT_ZONE, "the default; no data centre time zone set"


class _RollBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it."""


def _items(fmt: Format, lines: Iterable[str], tally: Tally, zones: Zones,
           runs: GpuRuns) -> Iterator[Item]:
    if fmt is Format.SACCT:
        return parse_sacct.stream(lines, tally, tz=zones)
    if fmt is Format.JSON:
        return parse_json.stream(lines, tally)
    return run(parse_prometheus.samples(lines, tally), tally, runs=runs)


def batches(items: Iterable[Item], size: int) -> Iterator[tuple[list[UsageRow], list[RowError]]]:
    """Batches of rows, each with the row errors met since the batch before."""
    rows: list[UsageRow] = []
    errors: list[RowError] = []
    for item in items:
        if isinstance(item, RowError):
            errors.append(item)
            continue
        rows.append(item)
        if len(rows) >= size:
            yield rows, errors
            rows, errors = [], []
    if rows or errors:
        yield rows, errors


@dataclass
class _Run:
    """One import: what it reads, how it reports, where it lands."""

    fmt: Format
    reporter: Reporter
    filename: str | None
    channel: Channel
    report: ImportReport
    tally: Tally
    runs: GpuRuns

    def batch(self, session: Session, rows: list[UsageRow], errors: list[RowError]) -> None:
        self.report.rows += len(rows)
        self.report.add(import_batch(session, rows=rows, errors=errors,
                                     source=SOURCES[self.fmt], channel=self.channel,
                                     run=self.report.run, reporter=self.reporter,
                                     filename=self.filename))

    def bridge(self, session: Session) -> None:
        """The scrape intervals between this file's edges and stored records."""
        rows = locate.bridge_rows(session, self.runs.edges(),
                                  max_gap_s=self.runs.max_gap_s) if self.runs.series else []
        before = self.report.accepted
        if rows:
            self.batch(session, rows, [])
        self.report.bridged = self.report.accepted - before

    def finish(self) -> ImportReport:
        self.report.lines, self.report.passed = self.tally.lines, self.tally.passed
        return self.report


def _start(fmt: Format, reporter: Reporter, filename: str | None, channel: Channel,
           lookup: Callable[[int], tuple[str | None, str] | None], tz: str | None
           ) -> tuple[_Run, Zones]:
    tally = Tally()
    zones = Zones(lookup, tz)
    report = ImportReport(run=uuid.uuid4().hex, format=fmt, zones=zones.used)
    return _Run(fmt, reporter, filename, channel, report, tally, GpuRuns(tally)), zones


def run_import(factory: sessionmaker[Session], *, lines: Iterable[str], fmt: Format,
               reporter: Reporter, filename: str | None = None, all_or_nothing: bool = False,
               batch_size: int = BATCH_ROWS, channel: Channel = Channel.FILE,
               tz: str | None = None, progress: Callable[[int], None] | None = None
               ) -> ImportReport:
    """Stream `lines` and import them batch by batch (or all at once). `tz` names the zone
    of Slurm times printed without an offset (default: per contract, see `Zones`)."""
    open_session: list[Session] = []  # the all-or-nothing transaction, read in place

    def lookup(contract_id: int) -> tuple[str | None, str] | None:
        if open_session:
            return locate.zone_of_contract(open_session[0], contract_id)
        with factory() as session:
            return locate.zone_of_contract(session, contract_id)

    job, zones = _start(fmt, reporter, filename, channel, lookup, tz)
    items = _items(fmt, lines, job.tally, zones, job.runs)
    return _drive(factory, job, items, all_or_nothing, batch_size, progress, open_session)


def run_pull(factory: sessionmaker[Session], *, samples: Iterable[Sample | RowError],
             reporter: Reporter, source: str, all_or_nothing: bool = False,
             batch_size: int = BATCH_ROWS, progress: Callable[[int], None] | None = None
             ) -> ImportReport:
    """Import DCGM samples read from elsewhere (a Prometheus server) like a DCGM file."""
    job, _ = _start(Format.PROMETHEUS, reporter, source[:255], Channel.FILE, lambda _: None,
                    None)
    items = run(samples, job.tally, runs=job.runs)
    return _drive(factory, job, items, all_or_nothing, batch_size, progress, [])


def _drive(factory: sessionmaker[Session], job: _Run, items: Iterable[Item],
           all_or_nothing: bool, batch_size: int, progress: Callable[[int], None] | None,
           open_session: list[Session]) -> ImportReport:
    stream = batches(items, batch_size)
    if all_or_nothing:
        try:
            with unit_of_work(factory) as session:
                open_session.append(session)
                for rows, errors in stream:
                    job.batch(session, rows, errors)
                    if progress:
                        progress(len(rows))
                job.bridge(session)
                if job.report.refused:
                    raise _RollBack
        except _RollBack:
            job.report.committed = False
        return job.finish()
    for rows, errors in stream:
        with unit_of_work(factory) as session:
            job.batch(session, rows, errors)
        if progress:
            progress(len(rows))
    with unit_of_work(factory) as session:
        job.bridge(session)
    return job.finish()


def import_in(session: Session, *, lines: Iterable[str], fmt: Format, reporter: Reporter,
              filename: str | None = None, batch_size: int = BATCH_ROWS,
              tz: str | None = None) -> ImportReport:
    """Import within the caller's transaction (the demo and tests use this)."""
    job, zones = _start(fmt, reporter, filename, Channel.FILE,
                        lambda c: locate.zone_of_contract(session, c), tz)
    for rows, errors in batches(_items(fmt, lines, job.tally, zones, job.runs), batch_size):
        job.batch(session, rows, errors)
    job.bridge(session)
    return job.finish()
