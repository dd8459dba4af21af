"""`suanli settlement bill-credit --month YYYY-MM` bills the credit lines of a month that
has ended, once; a malformed month or one not yet ended exits 2 naming --month."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.cli import app
from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger import service as ledger
from suanli.market import funds
from suanli.programs import credit
from suanli.programs.credit_terms import due_on, month_end, previous_month
from tests.programs.factory import make_program


@pytest.fixture
def database(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


@pytest.mark.parametrize("month", ["2026-13", "26-01", "next"])
def test_a_malformed_month_exits_2(database: str, month: str) -> None:
    result = CliRunner().invoke(app, ["settlement", "bill-credit", "--month", month])
    assert result.exit_code == 2 and "--month" in result.stderr


def test_bills_a_past_month_once_and_refuses_this_one(database: str) -> None:
    last = previous_month(to_shanghai(utcnow()).date().replace(day=1))
    with unit_of_work(make_sessionmaker(make_engine(database))) as session:
        bureau = auth_service.create_organisation(session, slug="bureau", name="Bureau",
                                                  kind=OrgKind.AUTHORITY, city="shanghai")
        buyer = auth_service.create_organisation(session, slug="acme", name="Acme",
                                                 kind=OrgKind.STARTUP)
        provider = auth_service.create_organisation(session, slug="gpu-co", name="GPU Co",
                                                    kind=OrgKind.PROVIDER)
        program = make_program(session, bureau.id, credit_lines=True)
        line = credit.grant(session, program=program, organisation="acme", limit_fen=90_000,
                            due_days=20, user_id=None)
        ledger.transfer(session, id="test-charge", debit=line.account_code,
                        credit=funds.ensure_receivable(session, provider), amount=12_345,
                        reason="settlement", now=month_end(last) - timedelta(hours=1))
        assert buyer.id == line.buyer_org_id
    this = CliRunner().invoke(app, ["settlement", "bill-credit", "--month",
                                    f"{to_shanghai(utcnow()):%Y-%m}"])
    assert this.exit_code == 2 and "has not ended yet" in this.stderr
    result = CliRunner().invoke(app, ["settlement", "bill-credit", "--month", f"{last:%Y-%m}"])
    assert result.exit_code == 0, result.output
    assert f"organisation {buyer.id}, 123.45 CNY, due {due_on(last, 20)}" in result.stdout
    assert "1 credit bills issued" in result.stdout
    again = CliRunner().invoke(app, ["settlement", "bill-credit", "--month", f"{last:%Y-%m}"])
    assert "0 credit bills issued" in again.stdout


def test_the_worker_bills_last_month_on_its_ticks(database: str) -> None:
    from suanli.settlement.worker import settle_yesterday

    factory = make_sessionmaker(make_engine(database))
    this = to_shanghai(utcnow()).date().replace(day=1)
    with unit_of_work(factory) as session:
        bureau = auth_service.create_organisation(session, slug="bureau", name="Bureau",
                                                  kind=OrgKind.AUTHORITY, city="shanghai")
        auth_service.create_organisation(session, slug="acme", name="Acme",
                                         kind=OrgKind.STARTUP)
        provider = auth_service.create_organisation(session, slug="gpu-co", name="GPU Co",
                                                    kind=OrgKind.PROVIDER)
        program = make_program(session, bureau.id, credit_lines=True)
        line = credit.grant(session, program=program, organisation="acme", limit_fen=90_000,
                            due_days=5, user_id=None)
        ledger.transfer(session, id="test-charge", debit=line.account_code,
                        credit=funds.ensure_receivable(session, provider), amount=500,
                        reason="settlement", now=month_end(this) - timedelta(hours=1))
    tick = month_end(this) + timedelta(hours=2)
    settle_yesterday(factory, now=tick)
    settle_yesterday(factory, now=tick + timedelta(minutes=1))
    with unit_of_work(factory) as session:
        (bill,) = credit.bills(session, None)
        assert (bill.amount_fen, bill.month, bill.due_on) == (500, f"{this:%Y-%m}",
                                                              due_on(this, 5))
