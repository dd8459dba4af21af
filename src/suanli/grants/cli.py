"""``suanli grants``: the listing sweep and a listing of capacity grants.

``suanli grants sweep`` pays every approved grant whose listing period has passed with the
capacity listed throughout, and claws back those whose capacity left early. Safe to run
twice (a second run finds nothing to do: transfer ids are deterministic, rows are locked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from suanli.kit.cli import console, fail
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import utcnow

grants_app = typer.Typer(help="Capacity grants to providers: the listing sweep, listing.",
                         no_args_is_help=True)


def _now(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--now: {text!r} is not an ISO 8601 time such as "
                   "2026-12-31T00:00:00+08:00", 2) from exc
    if value.tzinfo is None:
        raise fail("--now: give a time zone, e.g. +08:00", 2)
    return value


@grants_app.command("sweep")
def sweep(now: Annotated[str | None, typer.Option(
        help="Sweep as of this time (ISO 8601 with zone); default: now")] = None) -> None:
    """Pay grants whose listing period passed; claw back those whose capacity left early."""
    from suanli.grants import service
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work

    at = _now(now)
    with unit_of_work(sessions()) as session:
        report = service.sweep(session, now=at)
    console.print(f"paid {len(report.paid)} grant(s) {report.paid}; clawed back "
                  f"{len(report.clawed_back)} {report.clawed_back}; {report.waiting} still in "
                  "their listing period", markup=False, highlight=False)


@grants_app.command("list")
def list_grants() -> None:
    """Every capacity grant with its state."""
    from suanli.grants import repository
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work

    table = Table("id", "program", "cluster", "status", "purchase CNY", "grant CNY",
                  "listed until")
    with unit_of_work(sessions()) as session:
        for g in repository.grants(session, limit=10_000):
            table.add_row(str(g.id), str(g.program_id), str(g.cluster_id), str(g.status),
                          format_cny_grouped(g.purchase_fen), format_cny_grouped(g.amount_fen),
                          "" if g.listed_until is None else g.listed_until.isoformat())
    console.print(table)
