"""`suanli ledger`: print an account's statement, expire holds (`verify` joins from
`suanli.integrity.cli`, which stores its result)."""

from __future__ import annotations

import csv
import sys
from datetime import datetime, time, timedelta
from typing import Annotated

import typer

from suanli.kit.db import read_snapshot, unit_of_work
from suanli.kit.errors import NotFound
from suanli.kit.money import format_cny
from suanli.kit.timeutil import SHANGHAI, as_utc, to_shanghai, utcnow

ledger_app = typer.Typer(help="The double-entry ledger: verification, statements, holds.",
                         no_args_is_help=True)

COLUMNS = ["time", "transfer_id", "kind", "reason", "ref", "debit", "credit", "amount",
           "balance", "held"]


def parse_when(value: str | None, *, option: str, end: bool = False) -> datetime | None:
    """A date (a whole day in Asia/Shanghai; `--to` includes it) or an ISO 8601 time."""
    from suanli.kit.cli import fail

    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date() + timedelta(days=1 if end else 0)
            return as_utc(datetime.combine(day, time(), tzinfo=SHANGHAI))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time",
                   2) from None
    return as_utc(moment.replace(tzinfo=moment.tzinfo or SHANGHAI))


@ledger_app.command("statement")
def statement_command(
    account: Annotated[str, typer.Argument(help="Account code, e.g. voucher:17")],
    since: Annotated[str | None, typer.Option(
        "--from", help="First day (YYYY-MM-DD, Asia/Shanghai) or ISO 8601 time")] = None,
    until: Annotated[str | None, typer.Option(
        "--to", help="Last day, included (YYYY-MM-DD) or ISO 8601 time, excluded")] = None,
) -> None:
    """An account's transfers as CSV on stdout, with the balance after each.

    Amounts are CNY decimal strings; `balance` is credits less debits posted, `held` what
    holds reserve; times are Asia/Shanghai.
    """
    from suanli.kit.cli import engine, fail
    from suanli.ledger import reads

    start = parse_when(since, option="--from")
    end = parse_when(until, option="--to", end=True)
    if start is not None and end is not None and start >= end:
        raise fail("--to: must not be before --from", 2)
    # A snapshot: balances that add up however long stdout takes, and no write lock held.
    with read_snapshot(engine()) as session:
        try:
            found = reads.account(session, account, org_ids=None)
        except NotFound as exc:
            raise fail(f"ACCOUNT: {exc.detail}", 2) from exc
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for stored, _version, after in reads.statement(session, found, since=start, until=end):
            writer.writerow([to_shanghai(stored.created_at).isoformat(), stored.id,
                             stored.kind.value, stored.reason, stored.ref or "", stored.debit,
                             stored.credit, format_cny(stored.amount), format_cny(after.posted),
                             format_cny(after.held)])


@ledger_app.command("expire-holds")
def expire_holds_command() -> None:
    """Void every hold past its expiry (ids "expire:<hold id>"); safe to run again."""
    from suanli.kit.cli import console, sessions
    from suanli.ledger import service

    with unit_of_work(sessions()) as session:
        count = service.expire_holds(session, now=utcnow())
    console.print(f"expired {count} holds", highlight=False)
