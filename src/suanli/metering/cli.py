"""``suanli metering``: import usage files, pull DCGM series from Prometheus.

``suanli metering import FILE --format sacct|prometheus|json`` streams the file (``-`` for
standard input), shows a progress bar, and prints the rows accepted, duplicated, flagged,
passed over (by reason) and refused, each refused row with its line and reason, the zone
local Slurm times were read in, and GPU time that belongs to no contract.
``suanli metering pull --prometheus URL --from T --to T [--step S]`` reads the same DCGM
samples through Prometheus' HTTP API.

Exit status: 0 when every row was accepted (duplicates count as accepted: they are already
stored); 1 when some rows were refused (the others landed, unless ``--all-or-nothing``,
which then stored nothing), or when nothing in the input was usage of a contract; 2 for a
bad option, format, provider, unreadable file or unreachable server.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated
from zoneinfo import available_timezones

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from suanli.metering.rows import Format

if TYPE_CHECKING:
    from suanli.metering.importer import ImportReport
    from suanli.metering.service import Reporter

metering_app = typer.Typer(help="Usage records: import sacct, Prometheus and JSON files; pull "
                                "DCGM series from Prometheus.", no_args_is_help=True)
out = Console(soft_wrap=True)
SHOWN = 50
MAX_STEP_S = 300  # a longer step reads as the GPU being away between samples

AllOrNothing = Annotated[bool, typer.Option(
    "--all-or-nothing", help="Store nothing unless every row is accepted")]
Provider = Annotated[str | None, typer.Option(
    help="Import as this provider organisation: only its contracts are accepted")]
BatchSize = Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction")]


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


def _zone(tz: str | None) -> str | None:
    from suanli.kit.cli import fail

    if tz is not None and tz not in available_timezones():
        raise fail(f"--tz: {tz!r} is not an IANA time zone such as Asia/Shanghai", 2)
    return tz


def _lines(stream: IO[str], progress: Progress, task: TaskID) -> Iterator[str]:
    for line in stream:
        progress.advance(task, len(line.encode("utf-8")))
        yield line


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)


@metering_app.command("import")
def import_file(
    file: Annotated[str, typer.Argument(help="The file to import, or - for standard input")],
    fmt: Annotated[Format, typer.Option(
        "--format", case_sensitive=False,
        help="sacct (sacct --parsable2), prometheus (federation text with timestamps, "
             "promtool tsdb dump or dump-openmetrics) or json (JSON Lines)")],
    all_or_nothing: AllOrNothing = False,
    provider: Provider = None,
    batch_size: BatchSize = 1000,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="Zone of sacct times printed without an offset (default: the time zone "
                     "of the data centre serving each contract, else Asia/Shanghai)")] = None,
) -> None:
    """Import a usage file; valid rows land, refused ones are listed with line and reason."""
    from suanli.kit.cli import fail, sessions
    from suanli.metering.importer import run_import

    reporter, zone = _reporter(provider), _zone(tz)
    try:
        stream = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")  # noqa: SIM115
        size = None if file == "-" else Path(file).stat().st_size
    except OSError as exc:
        raise fail(f"FILE: cannot read {file}: {exc.strerror}", 2) from exc
    try:
        with stream, _progress() as progress:
            reading = progress.add_task("reading", total=size)
            importing = progress.add_task("importing", total=None)
            report = run_import(
                sessions(), lines=_lines(stream, progress, reading), fmt=fmt, reporter=reporter,
                filename=None if file == "-" else Path(file).name[:255],
                all_or_nothing=all_or_nothing, batch_size=batch_size, tz=zone,
                progress=lambda n: progress.advance(importing, n))
    except UnicodeDecodeError as exc:
        raise fail(f"FILE: {file} is not UTF-8 text ({exc.reason})", 2) from exc
    _finish(report, file)


def _when(text: str, option: str) -> datetime:
    from suanli.kit.cli import fail
    from suanli.kit.timeutil import SHANGHAI

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: {text!r} is not a time such as 2026-12-01T08:00:00+08:00",
                   2) from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


@metering_app.command("pull")
def pull(
    prometheus: Annotated[str, typer.Option(
        "--prometheus", help="Base URL of the Prometheus server, e.g. http://prom:9090")],
    since: Annotated[str, typer.Option(
        "--from", help="Start, ISO 8601 (without an offset: Asia/Shanghai)")],
    until: Annotated[str, typer.Option("--to", help="End, ISO 8601, not in the future")],
    step: Annotated[int, typer.Option(min=1, help="Seconds between samples (at most 300)")] = 60,
    query: Annotated[str, typer.Option(help="The PromQL selector of the GPU utilisation "
                                            "series")] = "DCGM_FI_DEV_GPU_UTIL",
    all_or_nothing: AllOrNothing = False,
    provider: Provider = None,
    batch_size: BatchSize = 1000,
) -> None:
    """Read DCGM series through Prometheus' query_range API into usage records."""
    from suanli.kit.cli import fail, sessions
    from suanli.metering import pull as prom
    from suanli.metering.importer import run_pull

    start, end = _when(since, "--from"), _when(until, "--to")
    if end <= start:
        raise fail("--to: must be after --from", 2)
    if step > MAX_STEP_S:
        raise fail(f"--step: at most {MAX_STEP_S} seconds (a longer step reads as the GPU "
                   "being away)", 2)
    if not prometheus.startswith(("http://", "https://")):
        raise fail("--prometheus: expected a URL such as http://prometheus:9090", 2)
    reporter = _reporter(provider)
    samples = prom.samples(prometheus, start=start, end=end, step_s=step, query=query)
    try:
        with _progress() as progress:
            importing = progress.add_task("importing", total=None)
            report = run_pull(sessions(), samples=samples, reporter=reporter,
                              source=prometheus, all_or_nothing=all_or_nothing,
                              batch_size=batch_size,
                              progress=lambda n: progress.advance(importing, n))
    except prom.PullError as exc:
        raise fail(f"--prometheus: {exc}", 2) from exc
    _finish(report, prometheus, unit="samples")


def _finish(report: ImportReport, source: str, unit: str = "lines") -> None:
    from suanli.kit.cli import fail

    _summary(report, source, unit)
    if report.refused:
        raise typer.Exit(1)
    if not report.usable:
        raise fail(f"nothing usable in {source}: {_why_nothing(report)}", 1)


def _why_nothing(report: ImportReport) -> str:
    if report.unattributed_gpu_seconds:
        return ("its GPU time was on GPUs that no contract's placement held; nothing is "
                "billed")
    if report.passed:
        return "every line was passed over (" + ", ".join(report.passed) + ")"
    return "no usage rows in it"


def _summary(report: ImportReport, source: str, unit: str) -> None:
    stored = "stored" if report.committed else "NOT stored (--all-or-nothing)"

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False)

    say(f"{source}: {report.rows} rows from {report.lines} {unit} ({report.format}), "
        f"{report.skipped} passed over; {report.accepted} accepted ({stored}), "
        f"{report.duplicates} already stored, {report.flagged} flagged, "
        f"{report.refused} rejected")
    for reason, n in sorted(report.passed.items(), key=lambda kv: -kv[1]):
        say(f"  passed over: {n} {reason}")
    for zone, why in report.zones.items():
        say(f"  times without a UTC offset read as {zone} ({why})")
    if report.bridged:
        say(f"  {report.bridged} rows join this input to records stored before")
    for reason, seconds in report.unattributed_gpu_seconds.items():
        say(f"  not billed: {seconds / 3600:,.2f} GPU-hours, {reason}")
    if not report.rejected:
        return
    table = Table("line", "field", "reason", title="Rejected rows")
    for error in sorted(report.rejected, key=lambda e: e.line)[:SHOWN]:
        table.add_row(str(error.line), error.field or "", error.reason)
    out.print(table)
    if report.refused > SHOWN:
        out.print(f"... and {report.refused - SHOWN} more rejected rows", markup=False)
