"""`suanli worker`: scheduled market jobs, then settlement (hence it lives here, above the
market). Each tick moves contracts on and expires orders, then runs a clearing round when
one is due, then settles yesterday. Any number of workers may run: the round
lock and the "started since the tick" check mean two never clear at once, nor twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from suanli import outbox
from suanli.kit.db import unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.market import rounds
from suanli.market.models import Round
from suanli.settlement.charges import period_of

if TYPE_CHECKING:
    from suanli.settlement.service import RunReport

log = logging.getLogger("suanli.settlement.worker")

# Work of higher domains that runs beside the schedule (the notifications sender), each in
# a thread of its own until the stop event is set; with --once, one pass each.
Service = Callable[[sessionmaker[Session], threading.Event], None]
SERVICES: list[Service] = []


def register_service(service: Service) -> None:
    if service not in SERVICES:
        SERVICES.append(service)


def _start_services(factory: sessionmaker[Session], *, once: bool) -> list[threading.Thread]:
    stop = threading.Event()
    if once:
        stop.set()
    threads = [threading.Thread(target=s, args=(factory, stop), daemon=True,
                                name=getattr(s, "__name__", "service")) for s in SERVICES]
    for thread in threads:
        thread.start()
    return threads


def tick(factory: sessionmaker[Session], *, every: timedelta, options: rounds.Options,
         now: datetime | None = None) -> Round | None:
    """One pass of the schedule; the round it ran, or None when none was due or free."""
    now = now or utcnow()
    with unit_of_work(factory) as session:
        rounds.housekeeping(session, now)
    with unit_of_work(factory) as session:
        if not rounds.due(session, every=every, now=now):
            return None
        return rounds.run_round(session, options=replace(
            options, trigger="worker", unless_started_after=now - every))


def settle_in_batches(factory: sessionmaker[Session], *, period_end: date,
                      now: datetime | None = None) -> RunReport:
    """`settlement.settle_period` for the day, one contract per transaction and then the
    late usage in one more, so that no writer waits behind the whole run (on SQLite the
    write lock is held for one contract at a time). Each contract-day is settled once, so
    a run killed between two transactions completes when run again."""
    from suanli.settlement import service as settlement

    with unit_of_work(factory) as session:
        due = settlement.contracts_due(session, period_end=period_end)
    report = settlement.RunReport(period_end)
    for contract_id in due:
        with unit_of_work(factory) as session:
            report.add(settlement.settle_period(session, period_end=period_end, now=now,
                                                contract_ids={contract_id}, late=False))
    with unit_of_work(factory) as session:
        report.add(settlement.settle_period(session, period_end=period_end, now=now,
                                            contract_ids=(), late=True))
    return report


def settle_yesterday(factory: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """The nightly settlement (Asia/Shanghai yesterday); nothing to do after the first pass
    of the day, so it runs on every tick. Returns how many contract-days it settled."""
    # Imported here: settlement builds on the market, not the other way round.
    from suanli.programs import credit_bills

    try:
        report = settle_in_batches(factory, period_end=period_of(now or utcnow())
                                   - timedelta(days=1), now=now)
        with unit_of_work(factory) as session:
            if report.failed:  # the others are settled; these wait for funds, loudly
                outbox.emit(session, "settlement.run_failed", subject=("settlement", "due"),
                            payload={"error": "; ".join(report.failed.values())[:500]},
                            dedup_key=f"settlement.run_failed:{(now or utcnow()).date()}")
                log.error("settlement: %s", "; ".join(report.failed.values()))
            settled = report.settled
        with unit_of_work(factory) as session:  # last month's credit-line bills, once
            credit_bills.bill_due(session, now=now)
        return settled
    except Exception as exc:  # rolled back: say so in a transaction of its own
        with unit_of_work(factory) as session:
            outbox.emit(session, "settlement.run_failed", subject=("settlement", "due"),
                        payload={"error": f"{type(exc).__name__}: {exc}"[:500]},
                        dedup_key=f"settlement.run_failed:{(now or utcnow()).date()}")
        raise


def worker_command(
    every: Annotated[int, typer.Option(min=1, help="Minutes between clearing rounds")] = 60,
    poll: Annotated[int, typer.Option(min=1, help="Seconds between checks")] = 60,
    slots: Annotated[int, typer.Option(min=1, max=744, help="Hours in each horizon")] = 168,
    time_limit: Annotated[float, typer.Option(min=0.1, max=600,
                                              help="Solver time limit, seconds")] = 30.0,
    once: Annotated[bool, typer.Option(help="Run one check and stop")] = False,
) -> None:
    """Run scheduled jobs: contract states, order expiry, clearing rounds, settlement."""
    from suanli.kit.cli import console, sessions

    factory = sessions()
    options = rounds.Options(slots=slots, time_limit_s=time_limit)
    console.print(f"market worker: a round every {every} min, checking every {poll} s")
    services = _start_services(factory, once=once)
    while True:
        try:
            rnd = tick(factory, every=timedelta(minutes=every), options=options)
            if rnd is not None:
                console.print(f"round {rnd.id} {rnd.status}: {rnd.contracts_written} "
                              "contracts", highlight=False)
            settled = settle_yesterday(factory)
            if settled:
                console.print(f"settled {settled} contract-days", highlight=False)
        except Exception:  # one failed pass must not stop the schedule
            log.exception("worker pass failed")
        if once:
            for thread in services:
                thread.join()
            return
        time.sleep(poll)
