"""`suanli market`: the clearing engine's `clear`, plus `round` and `rerun` on the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from suanli.kit.db import unit_of_work

try:
    from suanli.market.cli import market_app
except ModuleNotFoundError as exc:  # the pure engine's CLI is not there yet
    if exc.name != "suanli.market.cli":
        raise
    market_app = typer.Typer(help="The market: clearing rounds.", no_args_is_help=True)


def _start(value: str | None) -> datetime | None:
    from suanli.kit.cli import fail
    from suanli.market.capacity import next_whole_hour

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--start: {value!r} is not an ISO 8601 time", 2) from None
    if moment.tzinfo is None:
        raise fail("--start: give a time zone, such as 2026-12-01T08:00:00+08:00", 2)
    if next_whole_hour(moment) != moment:
        raise fail("--start: must be a whole hour", 2)
    return moment


@market_app.command("round")
def round_command(
    start: Annotated[str | None, typer.Option(help="Horizon start, a whole hour in ISO 8601 "
                                              "(default: the next whole hour)")] = None,
    slots: Annotated[int, typer.Option(min=1, max=744, help="Hours in the horizon")] = 168,
    time_limit: Annotated[float, typer.Option(min=0.1, max=600,
                                              help="Solver time limit, seconds")] = 30.0,
) -> None:
    """Run one clearing round now: snapshot, clear, write contracts (one transaction)."""
    from suanli.kit.cli import console, err, fail, sessions
    from suanli.market import rounds

    options = rounds.Options(start=_start(start), slots=slots, time_limit_s=time_limit,
                             trigger="cli")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err,
                  transient=True) as bar:
        bar.add_task("clearing", total=None)
        with unit_of_work(sessions()) as session:
            rnd = rounds.run_round(session, options=options)
            summary = None if rnd is None else (rnd.id, str(rnd.status), rnd.contracts_written,
                                                len(rnd.left_out or []), rnd.error)
    if summary is None:
        raise fail("another clearing round is running; nothing was done")
    round_id, status, written, left_out, error = summary
    if error:
        raise fail(f"round {round_id} failed: {error}")
    console.print(f"round {round_id} {status}: {written} contracts written, "
                  f"{left_out} orders left out", highlight=False)


@market_app.command("rerun")
def rerun_command(round_id: Annotated[int, typer.Argument(help="The round to re-clear")]
                  ) -> None:
    """Clear a stored round's snapshot again and compare with its stored result
    (ignoring solve_seconds); exit 1 naming what differs."""
    from suanli.kit.cli import console, fail, sessions
    from suanli.kit.errors import AppError
    from suanli.market import rounds

    try:
        with unit_of_work(sessions()) as session:
            differences = rounds.rerun(session, round_id)
    except AppError as exc:
        raise fail(f"{exc.field or 'round_id'}: {exc.detail}", 2) from exc
    if differences:
        raise fail(f"round {round_id} does not re-clear to its result: "
                   f"{', '.join(differences)} differ")
    console.print(f"round {round_id} re-clears to the same result", highlight=False)
