"""`suanli ledger verify` and `suanli market verify-capacity`: verify the ledger, or the
market's capacity, and store the result for the compliance dashboard. They join the ledger's
and the market's commands from here because storing the result belongs to integrity, which
stands above both."""

from __future__ import annotations

from rich.progress import Progress

from suanli.integrity import checkpoints as _checkpoints  # noqa: F401  (registers the worker's)
from suanli.integrity import service as integrity
from suanli.kit.cli import console, engine, err, fail
from suanli.kit.db import make_sessionmaker, read_snapshot, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.ledger import repository
from suanli.ledger.cli import ledger_app
from suanli.ledger.verify import verify
from suanli.market.capacity_check import verify_capacity
from suanli.market.commands import market_app

__all__ = ["ledger_app", "market_app"]


@ledger_app.command("verify")
def verify_command() -> None:
    """Re-derive every balance from the transfers and check the invariants.

    Exits 1 naming the first discrepancy: an account and the total that differs, a
    debit/credit sum mismatch, a broken flag, a gap in an account's entries or a hold whose
    state disagrees with its transfers. The result is stored for the compliance dashboard.
    """
    database, started = engine(), utcnow()
    # One read-only snapshot: the platform keeps writing, and the check sees one moment.
    with read_snapshot(database) as session, Progress(
            console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("verifying the ledger", total=repository.row_count(session))
        pending = [0]

        def tick(n: int) -> None:
            pending[0] += n
            if pending[0] >= 5000:  # redrawing per row would cost more than the check
                bar.advance(task, pending[0])
                pending[0] = 0

        verdict = verify(session, progress=tick)
    with unit_of_work(make_sessionmaker(database)) as session:
        integrity.record_ledger(session, verdict, started_at=started,
                                by=integrity.Requester("suanli ledger verify"))
    if not verdict.ok:
        raise fail(f"ledger discrepancy: {verdict.problem}")
    console.print(f"ledger ok: {verdict.accounts} accounts, {verdict.transfers} transfers, "
                  f"{verdict.entries} entries; debits equal credits", highlight=False)


@market_app.command("verify-capacity")
def verify_capacity_command() -> None:
    """Check that no cluster is listed or sold beyond its GPUs, and no offer sold beyond
    its own, in any hour. Exits 1 naming the first cluster and hour over; the result is
    stored for the compliance dashboard, like `suanli ledger verify`'s."""
    database, started = engine(), utcnow()
    with read_snapshot(database) as session:  # one moment; the platform keeps writing
        verdict = verify_capacity(session)
    with unit_of_work(make_sessionmaker(database)) as session:
        integrity.record_capacity(session, verdict, started_at=started,
                                  by=integrity.Requester("suanli market verify-capacity"))
    if not verdict.ok:
        raise fail(f"capacity exceeded: {verdict.problem}")
    console.print(f"capacity ok: {verdict.clusters} clusters, {verdict.offers} offers, "
                  f"{verdict.contracts} contracts; none over its GPUs in any hour",
                  highlight=False)
