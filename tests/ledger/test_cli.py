"""`suanli ledger verify | statement | expire-holds` on a database with real commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from suanli.config import get_settings
from suanli.integrity.cli import ledger_app
from suanli.kit.db import unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.cli import COLUMNS
from tests.conftest import BACKEND
from tests.ledger.conftest import CASH, PROVIDER, TREASURY, VOUCHER

runner = CliRunner()
DAY1 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def cli(chart: sessionmaker[Session], fresh_database: str,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """The chart of accounts, with the command line pointed at its database."""
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield chart
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(ledger_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def tamper(engine: Engine, statement: str, table: str) -> None:
    """Edit an append-only table the way only someone with DDL rights could."""
    with engine.begin() as conn:
        if BACKEND == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        conn.execute(text(statement))


def test_verify_clean(cli: sessionmaker[Session]) -> None:
    with unit_of_work(cli) as session:
        ledger.hold(session, id="h", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c")
        ledger.post(session, id="p", pending_id="h", amount=40)
    code, out, err = run("verify")
    assert (code, err) == (0, "")
    assert "ledger ok: 5 accounts, 3 transfers, 6 entries" in out


def test_verify_names_a_tampered_balance_and_transfer(cli: sessionmaker[Session],
                                                      fresh_engine: Engine) -> None:
    balance = "UPDATE ledger_accounts SET credits_posted = credits_posted + :n WHERE code = :c"
    with fresh_engine.begin() as conn:
        conn.execute(text(balance), {"n": 7, "c": PROVIDER})
    code, out, err = run("verify")
    assert code == 1 and out == ""
    assert err.strip() == (f"error: ledger discrepancy: account {PROVIDER}: credits_posted is "
                           "7 but the transfers give 0")
    with fresh_engine.begin() as conn:
        conn.execute(text(balance), {"n": -7, "c": PROVIDER})
    assert run("verify")[0] == 0
    tamper(fresh_engine, "UPDATE ledger_transfers SET amount = 1500 WHERE id = 'fund-voucher'",
           "ledger_transfers")
    code, _, err = run("verify")
    assert code == 1
    assert (f"account {TREASURY}: debits_posted is 1000 but the transfers give 1500"
            in err)


def test_verify_finds_a_missing_entry_and_a_wrong_hold_state(
        cli: sessionmaker[Session], fresh_engine: Engine) -> None:
    with unit_of_work(cli) as session:
        ledger.hold(session, id="h", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c")
    with fresh_engine.begin() as conn:
        conn.execute(text("UPDATE ledger_holds SET state = 'posted' WHERE transfer_id = 'h'"))
    code, _, err = run("verify")
    assert code == 1 and "hold h: state posted disagrees" in err
    with fresh_engine.begin() as conn:
        conn.execute(text("UPDATE ledger_holds SET state = 'pending' WHERE transfer_id = 'h'"))
    assert run("verify")[0] == 0
    tamper(fresh_engine, "DELETE FROM ledger_entries WHERE version = 1 AND account_id = "
           "(SELECT id FROM ledger_accounts WHERE code = 'treasury:test')", "ledger_entries")
    code, _, err = run("verify")
    assert code == 1 and f"account {TREASURY}: version 1 but no entries" in err
    tamper(fresh_engine, "DELETE FROM ledger_entries WHERE version = 1 AND account_id = "
           "(SELECT id FROM ledger_accounts WHERE code = 'voucher:1')", "ledger_entries")
    code, _, err = run("verify")
    assert code == 1  # entries are walked before accounts without any are checked
    assert f"account {VOUCHER}: entry version 2 where 1 was due" in err


def _dated_transfers(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        for day, (tid, amount) in enumerate([("d1", 100), ("d2", 250), ("d3", 50)]):
            ledger.transfer(session, id=tid, debit=VOUCHER, credit=CASH, amount=amount,
                            reason="usage", ref=f"contract:{day}",
                            now=DAY1 + timedelta(days=day))


def test_statement_csv(cli: sessionmaker[Session]) -> None:
    _dated_transfers(cli)
    code, out, err = run("statement", VOUCHER, "--from", "2026-03-02", "--to", "2026-03-03")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == COLUMNS
    assert [(r["transfer_id"], r["amount"], r["balance"]) for r in rows] == [
        ("d2", "2.50", "6.50"), ("d3", "0.50", "6.00")]
    assert rows[0] == {"time": "2026-03-02T10:00:00+08:00", "transfer_id": "d2",
                       "kind": "transfer", "reason": "usage", "ref": "contract:1",
                       "debit": VOUCHER, "credit": CASH, "amount": "2.50", "balance": "6.50",
                       "held": "0.00"}
    code, out, _ = run("statement", VOUCHER)
    assert [r["transfer_id"] for r in csv.DictReader(io.StringIO(out))] == [
        "fund-voucher", "d1", "d2", "d3"]
    code, out, _ = run("statement", CASH, "--from", "2026-03-01T10:30:00+08:00",
                       "--to", "2026-03-03T10:00:00+08:00")
    assert [r["transfer_id"] for r in csv.DictReader(io.StringIO(out))] == ["d2"]


BAD_STATEMENTS = [
    (["statement", "nope:1"], "error: ACCOUNT: no account 'nope:1'"),
    (["statement", VOUCHER, "--from", "2026-13-01"], "error: --from: '2026-13-01' is not a"),
    (["statement", VOUCHER, "--to", "soon"], "error: --to: 'soon' is not a"),
    (["statement", VOUCHER, "--from", "2026-03-05", "--to", "2026-03-01"],
     "error: --to: must not be before --from"),
]


def test_statement_bad_input(cli: sessionmaker[Session]) -> None:
    for args, message in BAD_STATEMENTS:
        code, out, err = run(*args)
        assert (code, out) == (2, ""), args
        assert err.startswith(message) and err.count("\n") == 1, (args, err)


def test_expire_holds_command(cli: sessionmaker[Session]) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    with unit_of_work(cli) as session:
        ledger.hold(session, id="old", debit=VOUCHER, credit=PROVIDER, amount=300, reason="c",
                    expires_at=past + timedelta(minutes=1), now=past)
    assert run("expire-holds")[:2] == (0, "expired 1 holds\n")
    assert run("expire-holds")[:2] == (0, "expired 0 holds\n")
    with unit_of_work(cli) as session:
        assert ledger.balance(session, VOUCHER).available == 1000
    assert run("verify")[0] == 0
