"""``suanli settlement``: settle a day by hand, or the day just ended (the worker's job).

``settle --period-end 2026-12-01`` settles that day (Asia/Shanghai) for every contract;
``due`` settles yesterday, and is what a scheduler runs each night. ``bill-credit --month
2026-03`` bills every credit line for a month that has ended. All are safe to repeat:
a day already settled changes nothing. A day that has not ended is refused (exit 2).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from suanli.kit.money import format_cny_grouped

settlement_app = typer.Typer(help="Settlement: bill metered usage, post the holds, pay out.",
                             no_args_is_help=True)
out = Console(soft_wrap=True)


def _run(day: date) -> None:
    from suanli.kit.cli import fail, sessions
    from suanli.kit.timeutil import utcnow
    from suanli.settlement.charges import period_of
    from suanli.settlement.worker import settle_in_batches

    if day >= period_of(utcnow()):
        raise fail(f"--period-end: {day} has not ended yet (Asia/Shanghai)", 2)
    report = settle_in_batches(sessions(), period_end=day)
    out.print(f"{day}: {report.settled} contracts settled ({report.final} at their end), "
              f"{report.unchanged} already settled, charged "
              f"{format_cny_grouped(report.charge_fen)} CNY", markup=False, highlight=False)
    if report.adjusted:
        out.print(f"{report.adjusted} of them adjustments for usage reported late",
                  markup=False, highlight=False)
    if report.failed:
        for message in report.failed.values():
            out.print(f"not settled: {message}", markup=False, highlight=False)
        raise fail(f"{len(report.failed)} contracts not settled (lapsed holds)", 1)


@settlement_app.command("settle")
def settle(period_end: Annotated[datetime, typer.Option(
        "--period-end", formats=["%Y-%m-%d"], help="The day to settle, YYYY-MM-DD")]) -> None:
    """Settle one day for every contract (running it again changes nothing)."""
    _run(period_end.date())


@settlement_app.command("due")
def due() -> None:
    """Settle yesterday (Asia/Shanghai): the nightly job of a worker."""
    from suanli.kit.timeutil import utcnow
    from suanli.settlement.charges import period_of

    _run(period_of(utcnow()) - timedelta(days=1))


@settlement_app.command("bill-credit")
def bill_credit(month: Annotated[str, typer.Option(
        "--month", help="The month to bill, YYYY-MM (Asia/Shanghai)")]) -> None:
    """Bill every credit line for a month that has ended (running it again changes nothing)."""
    from suanli.kit.cli import fail, sessions
    from suanli.kit.db import unit_of_work
    from suanli.kit.errors import ValidationFailed
    from suanli.programs import credit_bills
    from suanli.programs.credit_terms import parse_month

    try:
        first = parse_month(month)
        with unit_of_work(sessions()) as session:
            bills = credit_bills.bill_month(session, month=first)
            lines = [f"bill {b.id}: organisation {b.buyer_org_id}, "
                     f"{format_cny_grouped(b.amount_fen)} CNY, due {b.due_on}" for b in bills]
    except ValidationFailed as exc:
        raise fail(f"--month: {exc.detail}", 2) from exc
    for line in lines:
        out.print(line, markup=False, highlight=False)
    out.print(f"{month}: {len(lines)} credit bills issued", markup=False, highlight=False)
