"""``suanli report``: program and market reports on the terminal or as CSV/XLSX files.

``suanli report program ID`` prints one program's figures; ``suanli report market`` those of
every program and city and of the whole market. ``--format csv|xlsx -o FILE`` writes the
same tables as a download would (CSV may go to standard output; XLSX needs ``-o``).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

if TYPE_CHECKING:
    from suanli.kit.tables import Table

report_app = typer.Typer(help="Reports: program budgets and delivery, the whole market.",
                         no_args_is_help=True)
out = Console(soft_wrap=True)


class Output(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


FormatOpt = Annotated[Output, typer.Option("--format", case_sensitive=False,
                                           help="table (terminal), csv or xlsx")]
OutOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file")]


def _emit(tables: list[Table], fmt: Output, output: Path | None) -> None:
    from suanli.kit.cli import fail
    from suanli.kit.tables import text_of, to_csv, to_xlsx

    if fmt is Output.XLSX and output is None:
        raise fail("--output: an XLSX report needs -o FILE", 2)
    if fmt is Output.TABLE:
        for table in tables:
            rich = RichTable(*table.columns, title=table.title)
            for row in table.rows:
                rich.add_row(*[text_of(c) for c in row])
            out.print(rich)
        return
    data = to_xlsx(tables) if fmt is Output.XLSX else to_csv(tables)
    try:
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            output.write_bytes(data)
    except OSError as exc:
        raise fail(f"--output: cannot write {output}: {exc.strerror}", 2) from exc
    if output is not None:
        out.print(f"wrote {output}", markup=False, highlight=False)


@report_app.command("program")
def program(program_id: Annotated[int, typer.Argument(help="The program's id", min=1)],
            fmt: FormatOpt = Output.TABLE, output: OutOpt = None) -> None:
    """One program: money from the ledger, GPU-hours, spending, energy, startups served."""
    from suanli.kit.cli import fail, sessions
    from suanli.kit.db import unit_of_work
    from suanli.kit.errors import NotFound
    from suanli.reports import exports, service

    try:
        with unit_of_work(sessions()) as session:
            (report,) = service.program_reports(session, None, program_id)
            tables = [exports.money_table("Program", [report.money]),
                      *exports.delivery_tables(report.delivery)]
    except NotFound as exc:
        raise fail(f"program_id: no program {program_id}", 2) from exc
    _emit(tables, fmt, output)


@report_app.command("market")
def market(fmt: FormatOpt = Output.TABLE, output: OutOpt = None) -> None:
    """Every program and city, and delivery across the whole market."""
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work
    from suanli.reports import exports, service

    with unit_of_work(sessions()) as session:
        report = service.market_report(session)
    tables = [exports.money_table("Programs", report.programs),
              exports.money_table("Cities", report.cities, key="city"),
              *exports.delivery_tables(report.delivery)]
    _emit(tables, fmt, output)
