"""Importing a whole file: parse, cut into batches, one transaction per batch.

Without `all_or_nothing`, valid rows land and refused ones are reported with their line and
reason; each batch commits on its own, so a crash loses at most the batch in flight, never
half of one, and running the import again skips what landed (natural keys). With
`all_or_nothing`, every batch runs in one transaction that is rolled back if any row,
anywhere, was refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import unit_of_work
from suanli.metering import parse_json, parse_prometheus, parse_sacct
from suanli.metering.models import Channel
from suanli.metering.rows import Format, Parsed, RowError, UsageRow
from suanli.metering.service import BatchReport, Reporter, import_batch

BATCH_ROWS = 1000


PARSERS: dict[Format, Callable[[Iterable[str]], Parsed]] = {
    Format.SACCT: parse_sacct.parse,
    Format.PROMETHEUS: parse_prometheus.parse,
    Format.JSON: parse_json.parse,
}
SOURCES = {Format.SACCT: "sacct", Format.PROMETHEUS: "prometheus", Format.JSON: "json"}


@dataclass
class ImportReport:
    run: str
    format: Format
    lines: int = 0
    rows: int = 0
    skipped: int = 0
    accepted: int = 0
    duplicates: int = 0
    flagged: int = 0
    batches: int = 0
    rejected: list[RowError] = field(default_factory=list)
    committed: bool = True

    def add(self, batch: BatchReport) -> None:
        self.accepted += batch.accepted
        self.duplicates += batch.duplicates
        self.flagged += batch.flagged
        self.rejected.extend([*batch.rejected, *batch.foreign])
        self.batches += batch.batch_id is not None


class _RollBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it."""


def chunks(parsed: Parsed, size: int) -> Iterator[tuple[list[UsageRow], list[RowError]]]:
    """Batches of rows, each with the parse errors of the lines it spans."""
    errors = sorted(parsed.errors, key=lambda e: e.line)
    rows, e = parsed.rows, 0
    for start in range(0, max(len(rows), 1), size):
        part = rows[start:start + size]
        last = part[-1].line if part and start + size < len(rows) else None
        mine = []
        while e < len(errors) and (last is None or errors[e].line <= last):
            mine.append(errors[e])
            e += 1
        if part or mine:
            yield part, mine


def run_import(factory: sessionmaker[Session], *, lines: Iterable[str], fmt: Format,
               reporter: Reporter, filename: str | None = None, all_or_nothing: bool = False,
               batch_size: int = BATCH_ROWS, channel: Channel = Channel.FILE,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Parse `lines` and import them batch by batch (or all at once)."""
    parsed = PARSERS[fmt](lines)
    report = ImportReport(run=uuid.uuid4().hex, format=fmt, lines=parsed.lines,
                          rows=len(parsed.rows), skipped=parsed.skipped)
    batches = list(chunks(parsed, batch_size))
    if all_or_nothing:
        try:
            with unit_of_work(factory) as session:
                _import_all(session, batches, fmt, reporter, filename, channel, report, progress)
                if report.rejected:
                    raise _RollBack
        except _RollBack:
            report.committed = False
        return report
    for rows, errors in batches:
        with unit_of_work(factory) as session:
            report.add(import_batch(session, rows=rows, errors=errors, source=SOURCES[fmt],
                                    channel=channel, run=report.run, reporter=reporter,
                                    filename=filename))
        if progress:
            progress(len(rows))
    return report


def _import_all(session: Session, batches: Sequence[tuple[list[UsageRow], list[RowError]]],
                fmt: Format, reporter: Reporter, filename: str | None, channel: Channel,
                report: ImportReport, progress: Callable[[int], None] | None) -> None:
    for rows, errors in batches:
        report.add(import_batch(session, rows=rows, errors=errors, source=SOURCES[fmt],
                                channel=channel, run=report.run, reporter=reporter,
                                filename=filename))
        if progress:
            progress(len(rows))


def import_in(session: Session, *, lines: Iterable[str], fmt: Format, reporter: Reporter,
              filename: str | None = None, batch_size: int = BATCH_ROWS) -> ImportReport:
    """Import within the caller's transaction (the demo uses this)."""
    parsed = PARSERS[fmt](lines)
    report = ImportReport(run=uuid.uuid4().hex, format=fmt, lines=parsed.lines,
                          rows=len(parsed.rows), skipped=parsed.skipped)
    _import_all(session, list(chunks(parsed, batch_size)), fmt, reporter, filename,
                Channel.FILE, report, None)
    return report
