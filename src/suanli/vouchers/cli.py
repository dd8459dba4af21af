"""``suanli vouchers``: the expiry sweep and a listing.

``suanli vouchers expire`` expires every active voucher past its validity and returns its
unspent balance to its program. It is safe to run twice (a second run finds nothing) and
from several machines at once (rows are locked, transfer ids are deterministic).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import utcnow

vouchers_app = typer.Typer(help="Vouchers: expiry of unspent balances, listing.",
                           no_args_is_help=True)
console = Console(soft_wrap=True)


def _now(text: str | None) -> datetime:
    from suanli.kit.cli import fail

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


@vouchers_app.command("expire")
def expire(now: Annotated[str | None, typer.Option(
        help="Expire as of this time (ISO 8601 with zone); default: now")] = None) -> None:
    """Expire vouchers past their validity and return their unspent money to the programs."""
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work
    from suanli.vouchers import service

    at = _now(now)
    with unit_of_work(sessions()) as session:
        report = service.expire_due(session, now=at)
    console.print(f"expired {report.expired} voucher(s); returned "
                  f"{format_cny_grouped(report.returned_fen)} CNY to their programs"
                  + (f" and {format_cny_grouped(report.residual_returned_fen)} CNY released "
                     "by contracts" if report.residual_returned_fen else ""),
                  markup=False, highlight=False)


@vouchers_app.command("list")
def list_vouchers() -> None:
    """Every voucher with its balance (from the ledger)."""
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work
    from suanli.vouchers import repository, service

    factory = sessions()
    table = Table("id", "program", "holder", "status", "face value", "available", "held",
                  "spent", "valid until")
    with unit_of_work(factory) as session:
        rows = repository.vouchers(session)
        balances = service.balances(session, rows)
        for v in rows:
            b = balances[v.id]
            table.add_row(str(v.id), str(v.program_id), str(v.holder_org_id), str(v.status),
                          format_cny_grouped(b.face_value), format_cny_grouped(b.available),
                          format_cny_grouped(b.held), format_cny_grouped(b.spent),
                          v.valid_until.date().isoformat())
    console.print(table)
