"""``suanli metering``: import usage files.

``suanli metering import FILE --format sacct|prometheus|json`` reads the file (``-`` for
standard input), shows a progress bar, and prints the rows accepted, duplicated, flagged and
refused, each refused row with its line and reason. Exit status: 0 when every row was
accepted (duplicates count as accepted: they are already stored); 1 when some rows were
refused (the others landed, unless ``--all-or-nothing``, which then stored nothing); 2 for
a bad option, format, provider or unreadable file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from suanli.metering.rows import Format

if TYPE_CHECKING:
    from suanli.metering.importer import ImportReport
    from suanli.metering.service import Reporter

metering_app = typer.Typer(help="Usage records: import sacct, Prometheus and JSON files.",
                           no_args_is_help=True)
out = Console(soft_wrap=True)
SHOWN = 50


def _reporter(provider: str | None) -> Reporter:
    from suanli.auth import repository as auth_repo
    from suanli.auth.roles import OrgKind
    from suanli.kit.cli import fail, sessions
    from suanli.metering.service import Reporter

    if provider is None:
        return Reporter(name="cli", org_ids=None)
    with sessions()() as session:
        org = auth_repo.org_by_slug(session, provider)
    if org is None or org.kind != OrgKind.PROVIDER:
        raise fail(f"--provider: no provider organisation {provider!r}", 2)
    return Reporter(name=f"cli:{provider}", org_ids=frozenset({org.id}), organisation_id=org.id)


def _lines(stream: IO[str], progress: Progress, task: TaskID) -> Iterator[str]:
    for line in stream:
        progress.advance(task, len(line.encode("utf-8")))
        yield line


@metering_app.command("import")
def import_file(
    file: Annotated[str, typer.Argument(help="The file to import, or - for standard input")],
    fmt: Annotated[Format, typer.Option("--format", help="sacct, prometheus or json",
                                        case_sensitive=False)],
    all_or_nothing: Annotated[bool, typer.Option(
        "--all-or-nothing", help="Store nothing unless every row is accepted")] = False,
    provider: Annotated[str | None, typer.Option(
        help="Import as this provider organisation: only its contracts are accepted")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000,
                                            help="Rows per transaction")] = 1000,
) -> None:
    """Import a usage file; valid rows land, refused ones are listed with line and reason."""
    from suanli.kit.cli import fail, sessions
    from suanli.metering.importer import run_import

    reporter = _reporter(provider)
    try:
        stream = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")  # noqa: SIM115
        size = None if file == "-" else Path(file).stat().st_size
    except OSError as exc:
        raise fail(f"FILE: cannot read {file}: {exc.strerror}", 2) from exc
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn())
    try:
        with stream, Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            reading = progress.add_task("reading", total=size)
            importing = progress.add_task("importing", total=None)
            report = run_import(
                sessions(), lines=_lines(stream, progress, reading), fmt=fmt, reporter=reporter,
                filename=None if file == "-" else Path(file).name[:255],
                all_or_nothing=all_or_nothing, batch_size=batch_size,
                progress=lambda n: progress.advance(importing, n))
    except UnicodeDecodeError as exc:
        raise fail(f"FILE: {file} is not UTF-8 text ({exc.reason})", 2) from exc
    _summary(report, file)
    if report.rejected:
        raise typer.Exit(1)


def _summary(report: ImportReport, file: str) -> None:
    stored = "stored" if report.committed else "NOT stored (--all-or-nothing)"
    out.print(f"{file}: {report.rows} rows from {report.lines} lines ({report.format}), "
              f"{report.skipped} passed over; {report.accepted} accepted ({stored}), "
              f"{report.duplicates} already stored, {report.flagged} flagged, "
              f"{len(report.rejected)} rejected", markup=False, highlight=False)
    if not report.rejected:
        return
    table = Table("line", "field", "reason", title="Rejected rows")
    for error in sorted(report.rejected, key=lambda e: e.line)[:SHOWN]:
        table.add_row(str(error.line), error.field or "", error.reason)
    out.print(table)
    if len(report.rejected) > SHOWN:
        out.print(f"... and {len(report.rejected) - SHOWN} more rejected rows", markup=False)
