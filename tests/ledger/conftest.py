"""Helpers for the ledger's tests: a small chart of accounts and committed sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.models import Entry, Transfer
from suanli.ledger.posting import AccountKind

TREASURY, BUDGET, VOUCHER, PROVIDER, CASH = (
    "treasury:test", "program-budget:1", "voucher:1", "provider-receivable:1", "buyer-cash:1")


def open_chart(session: Session, *, fund_voucher: int = 0) -> None:
    """A treasury that may go negative, a budget, a voucher and buyer cash that may not,
    and a provider receivable; optionally fund the voucher from the treasury."""
    ledger.open_account(session, code=TREASURY, kind=AccountKind.TREASURY, owner_org_id=None,
                        name="Treasury")
    for code, kind in ((BUDGET, AccountKind.PROGRAM_BUDGET), (VOUCHER, AccountKind.VOUCHER),
                       (CASH, AccountKind.BUYER_CASH)):
        ledger.open_account(session, code=code, kind=kind, owner_org_id=None, name=code,
                            debits_must_not_exceed_credits=True)
    ledger.open_account(session, code=PROVIDER, kind=AccountKind.PROVIDER_RECEIVABLE,
                        owner_org_id=None, name="Provider")
    if fund_voucher:
        ledger.transfer(session, id="fund-voucher", debit=TREASURY, credit=VOUCHER,
                        amount=fund_voucher, reason="fund")


def counts(session: Session) -> tuple[int, int]:
    """(transfers, entries) stored."""
    return (session.execute(select(func.count()).select_from(Transfer)).scalar_one(),
            session.execute(select(func.count()).select_from(Entry)).scalar_one())


@pytest.fixture
def fresh_engine(fresh_database: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database)
    yield engine
    engine.dispose()


@pytest.fixture
def committed(fresh_engine: Engine) -> sessionmaker[Session]:
    """Sessions on a database of the test's own whose commits are real."""
    return make_sessionmaker(fresh_engine)


@pytest.fixture
def chart(committed: sessionmaker[Session]) -> sessionmaker[Session]:
    with unit_of_work(committed) as session:
        open_chart(session, fund_voucher=1000)
    return committed
