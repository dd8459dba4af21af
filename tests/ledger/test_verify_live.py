"""Verifying a ledger that keeps taking transfers: the check sees one moment.

The ledger's check reads in several statements (accounts, transfers, entries, holds). A
transfer that commits between them must neither look like a discrepancy (PostgreSQL's
READ COMMITTED would show it to some statements and not others) nor wait for the check to
end (SQLite's write lock, had the check taken one).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import read_snapshot, unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from tests.ledger.conftest import PROVIDER, VOUCHER


def test_a_transfer_committed_mid_check_is_neither_seen_nor_held_up(
        chart: sessionmaker[Session], fresh_engine: Engine) -> None:
    with unit_of_work(chart) as session:
        for n in range(5):
            ledger.transfer(session, id=f"before-{n}", debit=VOUCHER, credit=PROVIDER,
                            amount=10, reason="compute")
    written: list[str] = []

    def write_once(_rows: int) -> None:  # called as the check reads its first transfers
        if not written:
            with unit_of_work(chart) as session:
                written.append(ledger.transfer(session, id="during", debit=VOUCHER,
                                               credit=PROVIDER, amount=7, reason="compute").id)

    with read_snapshot(fresh_engine) as snapshot:
        during = verify(snapshot, progress=write_once)
    assert written == ["during"]
    assert during.ok, during.problem
    assert during.transfers == 6  # the funding and five: the moment the check began
    with read_snapshot(fresh_engine) as snapshot:
        after = verify(snapshot)
    assert after.ok and after.transfers == 7 and after.entries == during.entries + 2
