"""The service API on a real database (each test rolls back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from suanli.kit.errors import AppError, InsufficientFunds, NotFound, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.errors import (
    AccountExists,
    ExceedsCredits,
    HoldAlreadyResolved,
    HoldExpired,
    TransferExists,
)
from suanli.ledger.posting import AccountKind, Balance, TransferSpec
from suanli.ledger.verify import verify
from tests.ledger.conftest import BUDGET, CASH, PROVIDER, TREASURY, VOUCHER, counts, open_chart

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def chart(db: Session) -> Session:
    open_chart(db, fund_voucher=1000)
    return db


def test_open_account_is_idempotent_and_refuses_other_fields(db: Session) -> None:
    first = ledger.open_account(db, code="voucher:9", kind=AccountKind.VOUCHER,
                                owner_org_id=None, name="V", debits_must_not_exceed_credits=True)
    again = ledger.open_account(db, code="voucher:9", kind=AccountKind.VOUCHER,
                                owner_org_id=None, name="V", debits_must_not_exceed_credits=True)
    assert again.id == first.id
    with pytest.raises(AccountExists) as caught:
        ledger.open_account(db, code="voucher:9", kind=AccountKind.VOUCHER, owner_org_id=None,
                            name="V")
    assert (caught.value.status, caught.value.field) == (409, "debits_must_not_exceed_credits")
    assert ledger.get_account(db, "voucher:9").id == first.id
    assert ledger.account_by_id(db, first.id).code == "voucher:9"


@pytest.mark.parametrize(("kwargs", "field_"), [
    ({"code": "bad code"}, "code"), ({"code": ""}, "code"), ({"name": ""}, "name"),
    ({"kind": "piggy_bank"}, "kind"), ({"currency": "yuan"}, "currency"),
    ({"debits_must_not_exceed_credits": True, "credits_must_not_exceed_debits": True},
     "credits_must_not_exceed_debits"),
])
def test_open_account_bad_input(db: Session, kwargs: dict[str, Any], field_: str) -> None:
    args: dict[str, Any] = {"code": "x:1", "kind": AccountKind.VOUCHER, "owner_org_id": None,
                            "name": "X", **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        ledger.open_account(db, **args)
    assert caught.value.field == field_


def test_unknown_account_is_not_found(db: Session) -> None:
    for call in (lambda: ledger.get_account(db, "nope"), lambda: ledger.balance(db, "nope"),
                 lambda: ledger.account_by_id(db, 10**9)):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.field == "account"


def test_transfer_moves_and_replay_moves_nothing(chart: Session) -> None:
    result = ledger.transfer(chart, id="t1", debit=VOUCHER, credit=PROVIDER, amount=300,
                             reason="usage", ref="contract:1")
    assert (result.debit, result.credit, result.amount, result.pending) == (
        VOUCHER, PROVIDER, 300, False)
    assert not result.replayed
    again = ledger.transfer(chart, id="t1", debit=VOUCHER, credit=PROVIDER, amount=300,
                            reason="usage", ref="contract:1")
    assert again.replayed and again.created_at == result.created_at
    assert ledger.balance(chart, VOUCHER) == Balance(debits_posted=300, credits_posted=1000)
    assert ledger.balance(chart, PROVIDER).posted == 300
    assert ledger.balance(chart, TREASURY).posted == -1000
    assert counts(chart) == (2, 4)


@pytest.mark.parametrize(("change", "field_"), [
    ({"amount": 301}, "amount"), ({"credit": CASH}, "credit"), ({"debit": BUDGET}, "debit"),
    ({"reason": "other"}, "reason"), ({"ref": "contract:2"}, "ref"),
])
def test_same_id_with_other_fields_is_refused(chart: Session, change: dict[str, Any],
                                              field_: str) -> None:
    args: dict[str, Any] = {"id": "t1", "debit": VOUCHER, "credit": PROVIDER, "amount": 300,
                            "reason": "usage", "ref": "contract:1"}
    ledger.transfer(chart, **args)
    before = counts(chart)
    with pytest.raises(TransferExists) as caught:
        ledger.transfer(chart, **{**args, **change})
    assert (caught.value.status, caught.value.field) == (409, field_)
    with pytest.raises(TransferExists):
        ledger.hold(chart, **args)  # the same id as another kind
    assert counts(chart) == before


def test_overdraft_is_refused_and_writes_nothing(chart: Session) -> None:
    before = counts(chart)
    with pytest.raises(ExceedsCredits) as caught:
        ledger.transfer(chart, id="big", debit=VOUCHER, credit=PROVIDER, amount=1001,
                        reason="usage")
    assert isinstance(caught.value, InsufficientFunds)
    problem = caught.value.problem()
    assert (problem["status"], problem["field"], problem["account"]) == (409, "amount", VOUCHER)
    assert problem["type"].endswith("/exceeds-credits")
    assert counts(chart) == before
    assert ledger.balance(chart, VOUCHER).available == 1000
    ledger.transfer(chart, id="all", debit=VOUCHER, credit=PROVIDER, amount=1000, reason="u")
    assert ledger.balance(chart, VOUCHER).available == 0


def _currency_mismatch(db: Session) -> None:
    ledger.open_account(db, code="usd:1", kind=AccountKind.PLATFORM, owner_org_id=None,
                        name="USD", currency="USD")
    ledger.transfer(db, id="x", debit=TREASURY, credit="usd:1", amount=5, reason="r")


BAD_CALLS: list[tuple[str, Any, str]] = [
    ("zero", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=VOUCHER, amount=0,
                                        reason="r"), "amount"),
    ("negative", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=VOUCHER,
                                            amount=-5, reason="r"), "amount"),
    ("past 2^63", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=VOUCHER,
                                             amount=2**63, reason="r"), "amount"),
    ("float", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=VOUCHER,
                                         amount=1.5, reason="r"), "amount"),
    ("unknown debit", lambda db: ledger.transfer(db, id="x", debit="nope:1", credit=VOUCHER,
                                                 amount=5, reason="r"), "debit"),
    ("unknown credit", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit="nope:2",
                                                  amount=5, reason="r"), "credit"),
    ("same account", lambda db: ledger.transfer(db, id="x", debit=VOUCHER, credit=VOUCHER,
                                                amount=5, reason="r"), "credit"),
    ("currency", _currency_mismatch, "credit"),
    ("no reason", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=VOUCHER,
                                             amount=5, reason=""), "reason"),
    ("long id", lambda db: ledger.transfer(db, id="x" * 129, debit=TREASURY, credit=VOUCHER,
                                           amount=5, reason="r"), "id"),
    ("past expiry", lambda db: ledger.hold(db, id="x", debit=VOUCHER, credit=PROVIDER,
                                           amount=5, reason="r", expires_at=T0, now=T0),
     "expires_at"),
    ("unknown hold", lambda db: ledger.post(db, id="x", pending_id="nope"), "pending_id"),
    ("not a hold", lambda db: ledger.void(db, id="x", pending_id="fund-voucher"), "pending_id"),
    ("overflow", lambda db: ledger.transfer(db, id="x", debit=TREASURY, credit=PROVIDER,
                                            amount=2**63 - 1, reason="r"), "amount"),
]


@pytest.mark.parametrize(("name", "call", "field_"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_input_names_the_field_and_writes_nothing(chart: Session, name: str, call: Any,
                                                      field_: str) -> None:
    ledger.transfer(chart, id="pre", debit=TREASURY, credit=PROVIDER, amount=1, reason="r")
    before = counts(chart), ledger.balance(chart, TREASURY), ledger.balance(chart, PROVIDER)
    with pytest.raises(ValidationFailed) as caught:
        call(chart)
    assert caught.value.field == field_
    assert caught.value.status == 422
    after = counts(chart), ledger.balance(chart, TREASURY), ledger.balance(chart, PROVIDER)
    assert after == before


def test_hold_post_partial_releases_the_rest(chart: Session) -> None:
    hold = ledger.hold(chart, id="h", debit=VOUCHER, credit=PROVIDER, amount=600,
                       reason="contract", expires_at=T0 + timedelta(days=1), now=T0)
    assert hold.pending and hold.expires_at == T0 + timedelta(days=1)
    voucher = ledger.balance(chart, VOUCHER)
    assert (voucher.posted, voucher.held, voucher.available) == (1000, 600, 400)
    with pytest.raises(ExceedsCredits):
        ledger.transfer(chart, id="t", debit=VOUCHER, credit=PROVIDER, amount=401, reason="u")
    post = ledger.post(chart, id="p", pending_id="h", amount=250, now=T0)
    assert (post.amount, post.pending_id, post.debit, post.credit) == (250, "h", VOUCHER,
                                                                       PROVIDER)
    assert ledger.balance(chart, VOUCHER) == Balance(debits_posted=250, credits_posted=1000)
    assert ledger.balance(chart, PROVIDER) == Balance(credits_posted=250)
    assert ledger.post(chart, id="p", pending_id="h", amount=250, now=T0).replayed


def test_two_phase_edge_cases(chart: Session) -> None:
    ledger.hold(chart, id="h1", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c", now=T0)
    full = ledger.post(chart, id="p1", pending_id="h1", now=T0)
    assert full.amount == 100
    assert ledger.post(chart, id="p1", pending_id="h1", now=T0).replayed  # amount None = all
    cases: list[tuple[Any, type[AppError]]] = [
        (lambda: ledger.post(chart, id="p1b", pending_id="h1", now=T0), HoldAlreadyResolved),
        (lambda: ledger.void(chart, id="v1", pending_id="h1", now=T0), HoldAlreadyResolved),
        (lambda: ledger.post(chart, id="p1", pending_id="h1", amount=99), TransferExists),
    ]
    ledger.hold(chart, id="h2", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c", now=T0)
    ledger.void(chart, id="v2", pending_id="h2", now=T0)
    cases.append((lambda: ledger.post(chart, id="p2", pending_id="h2", now=T0),
                  HoldAlreadyResolved))
    ledger.hold(chart, id="h3", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c",
                expires_at=T0 + timedelta(minutes=5), now=T0)
    later = T0 + timedelta(minutes=5)
    cases += [(lambda: ledger.post(chart, id="p3", pending_id="h3", now=later), HoldExpired),
              (lambda: ledger.void(chart, id="v3", pending_id="h3", now=later), HoldExpired),
              (lambda: ledger.post(chart, id="p4", pending_id="h3", amount=101, now=T0),
               ValidationFailed)]
    before = counts(chart)
    for call, error in cases:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.status in (409, 422) and caught.value.field
    assert counts(chart) == before
    assert ledger.balance(chart, VOUCHER).held == 100


def test_retrying_a_hold_after_its_expiry_replays_it(chart: Session) -> None:
    args: dict[str, Any] = {"id": "h", "debit": VOUCHER, "credit": PROVIDER, "amount": 5,
                            "reason": "c", "expires_at": T0 + timedelta(minutes=1)}
    first = ledger.hold(chart, **args, now=T0)
    again = ledger.hold(chart, **args, now=T0 + timedelta(days=1))
    assert again.replayed and again.expires_at == first.expires_at


def test_expire_holds_is_safe_to_run_twice(chart: Session) -> None:
    ledger.hold(chart, id="soon", debit=VOUCHER, credit=PROVIDER, amount=300, reason="c",
                expires_at=T0 + timedelta(hours=1), now=T0)
    ledger.hold(chart, id="late", debit=VOUCHER, credit=PROVIDER, amount=200, reason="c",
                expires_at=T0 + timedelta(days=1), now=T0)
    ledger.hold(chart, id="never", debit=VOUCHER, credit=PROVIDER, amount=100, reason="c",
                now=T0)
    assert ledger.expire_holds(chart, now=T0 + timedelta(minutes=59)) == 0
    assert ledger.expire_holds(chart, now=T0 + timedelta(hours=2)) == 1
    assert ledger.expire_holds(chart, now=T0 + timedelta(hours=2)) == 0
    assert ledger.balance(chart, VOUCHER).held == 300
    with pytest.raises(HoldExpired):
        ledger.post(chart, id="p", pending_id="soon", now=T0 + timedelta(hours=3))
    with pytest.raises(ValidationFailed):  # only the sweep writes expiries
        ledger.batch(chart, [TransferSpec("expire", "expire:late", reason="expire",
                                          pending_id="late")])
    assert ledger.expire_holds(chart, now=T0 + timedelta(days=2)) == 1
    assert ledger.balance(chart, VOUCHER).available == 900
    assert verify(chart).ok


def test_batch_is_linked(chart: Session) -> None:
    before = counts(chart)
    with pytest.raises(ExceedsCredits) as caught:
        ledger.batch(chart, [
            TransferSpec.transfer(id="b1", debit=VOUCHER, credit=PROVIDER, amount=600,
                                  reason="u"),
            TransferSpec.transfer(id="b2", debit=VOUCHER, credit=PROVIDER, amount=600,
                                  reason="u")])
    assert caught.value.field == "transfers[1].amount"
    assert counts(chart) == before
    results = ledger.batch(chart, [
        TransferSpec.hold(id="bh", debit=VOUCHER, credit=PROVIDER, amount=500, reason="c"),
        TransferSpec.post(id="bp", pending_id="bh", amount=200),
        TransferSpec.transfer(id="bt", debit=VOUCHER, credit=CASH, amount=800, reason="r")])
    assert [r.kind for r in results] == ["hold", "post", "transfer"]
    assert ledger.balance(chart, VOUCHER).posted == 0
    again = ledger.batch(chart, [
        TransferSpec.hold(id="bh", debit=VOUCHER, credit=PROVIDER, amount=500, reason="c"),
        TransferSpec.post(id="bp", pending_id="bh", amount=200),
        TransferSpec.transfer(id="bt", debit=VOUCHER, credit=CASH, amount=800, reason="r")])
    assert all(r.replayed for r in again)
    assert [(r.id, r.amount, r.created_at) for r in again] == [
        (r.id, r.amount, r.created_at) for r in results]
    assert ledger.balance(chart, CASH).posted == 800
    assert verify(chart).ok


def test_loaded_account_objects_see_new_totals(chart: Session) -> None:
    account = ledger.get_account(chart, VOUCHER)
    assert account.credits_posted == 1000
    ledger.transfer(chart, id="t", debit=VOUCHER, credit=PROVIDER, amount=10, reason="u")
    assert account.debits_posted == 10


def test_transfers_and_entries_are_append_only(chart: Session) -> None:
    for statement in ("UPDATE ledger_transfers SET amount = 1",
                      "DELETE FROM ledger_transfers",
                      "UPDATE ledger_entries SET credits_posted = 5",
                      "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"), chart.begin_nested():
            chart.execute(text(statement))
    assert counts(chart) == (1, 2)


def test_check_constraint_is_the_backstop(chart: Session) -> None:
    with pytest.raises(DBAPIError), chart.begin_nested():
        chart.execute(text("UPDATE ledger_accounts SET debits_posted = 1001 "
                           "WHERE code = 'voucher:1'"))
    assert ledger.balance(chart, VOUCHER).posted == 1000


def test_verify_reports_an_entry_without_its_transfer(chart: Session) -> None:
    assert verify(chart).ok
    voucher = ledger.get_account(chart, VOUCHER)
    chart.execute(text("INSERT INTO ledger_entries (account_id, version, transfer_id, "
                       "debits_pending, debits_posted, credits_pending, credits_posted) "
                       "VALUES (:a, 2, 'ghost', 0, 0, 0, 1000)"), {"a": voucher.id})
    verdict = verify(chart)
    assert not verdict.ok
    assert verdict.problem == (f"account {VOUCHER}: entry 2 names transfer ghost, which "
                               "does not exist")


def test_a_large_batch_of_holds_posts_and_voids(chart: Session) -> None:
    """More than a few transfers take PostgreSQL's one-statement path: holds too."""
    ledger.batch(chart, [TransferSpec.hold(id=f"lh{i}", debit=VOUCHER, credit=PROVIDER,
                                           amount=10, reason="c") for i in range(10)])
    results = ledger.batch(chart, [
        *[TransferSpec.post(id=f"lp{i}", pending_id=f"lh{i}", amount=4) for i in range(5)],
        *[TransferSpec.void(id=f"lv{i}", pending_id=f"lh{i}") for i in range(5, 10)],
        TransferSpec.hold(id="lnew", debit=VOUCHER, credit=CASH, amount=50, reason="c",
                          expires_at=T0 + timedelta(days=1)),
        TransferSpec.post(id="lnewp", pending_id="lnew", amount=30),
        TransferSpec.hold(id="lopen", debit=VOUCHER, credit=CASH, amount=7, reason="c")],
        now=T0)
    assert len(results) == 13
    assert ledger.balance(chart, VOUCHER) == Balance(debits_posted=50, credits_posted=1000,
                                                     debits_pending=7)
    assert ledger.balance(chart, CASH) == Balance(credits_posted=30, credits_pending=7)
    states = dict(chart.execute(text("SELECT transfer_id, state FROM ledger_holds")).all())
    assert states == {**{f"lh{i}": "posted" for i in range(5)},
                      **{f"lh{i}": "voided" for i in range(5, 10)},
                      "lnew": "posted", "lopen": "pending"}
    assert verify(chart).ok


def test_account_objects_loaded_in_the_session_show_the_new_totals(chart: Session) -> None:
    """The write path bypasses the ORM: it must expire the Account objects it changed."""
    voucher = ledger.get_account(chart, VOUCHER)
    before = voucher.debits_posted
    ledger.transfer(chart, id="spend-seen", debit=VOUCHER, credit=PROVIDER, amount=40,
                    reason="spend")
    assert voucher.debits_posted == before + 40
    assert ledger.balance(chart, VOUCHER).debits_posted == before + 40
