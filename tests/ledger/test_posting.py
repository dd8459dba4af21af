"""The pure core without a database: arithmetic, rules, and the planner against a naive model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.kit.errors import AppError, ValidationFailed
from suanli.ledger.errors import (
    ExceedsCredits,
    ExceedsDebits,
    HoldAlreadyResolved,
    HoldExpired,
    TransferExists,
)
from suanli.ledger.planner import Stored, check_batch, plan
from suanli.ledger.posting import (
    MAX_AMOUNT,
    AccountState,
    Balance,
    Flags,
    HoldState,
    TransferKind,
    TransferSpec,
    check_amount,
    check_code,
    check_totals,
    side_delta,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_balance_views() -> None:
    b = Balance(debits_posted=300, credits_posted=1000, debits_pending=200, credits_pending=50)
    assert (b.posted, b.available, b.held) == (700, 500, 200)


@pytest.mark.parametrize(("kind", "amount", "pending", "expected"), [
    (TransferKind.TRANSFER, 5, 0, (0, 5)), (TransferKind.HOLD, 5, 0, (5, 0)),
    (TransferKind.POST, 3, 5, (-5, 3)), (TransferKind.VOID, 5, 5, (-5, 0)),
    (TransferKind.EXPIRE, 5, 5, (-5, 0)),
])
def test_side_delta(kind: TransferKind, amount: int, pending: int,
                    expected: tuple[int, int]) -> None:
    assert side_delta(kind, amount, pending) == expected


@pytest.mark.parametrize("bad", [0, -1, MAX_AMOUNT + 1, 2**64, 1.5, True, "100", None])
def test_amount_rules(bad: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_amount(bad, field="amount")
    assert caught.value.field == "amount"


def test_amount_limits_accepted() -> None:
    assert check_amount(1, field="amount") == 1
    assert check_amount(MAX_AMOUNT, field="amount") == MAX_AMOUNT


@pytest.mark.parametrize("bad", ["", " ", "a/b", ":x", "x" * 101, "voucher 1", 17])
def test_code_rules(bad: object) -> None:
    with pytest.raises(ValidationFailed):
        check_code(bad, field="code")


def test_flags_and_overflow() -> None:
    voucher = AccountState(1, "voucher:1", flags=Flags(debits_must_not_exceed_credits=True))
    check_totals(voucher, Balance(credits_posted=10, debits_posted=4, debits_pending=6),
                 field="amount")
    with pytest.raises(ExceedsCredits) as caught:
        check_totals(voucher, Balance(credits_posted=10, debits_posted=4, debits_pending=7),
                     field="amount")
    assert (caught.value.status, caught.value.type_, caught.value.field) == (
        409, "exceeds-credits", "amount")
    assert caught.value.extra["account"] == "voucher:1"
    payable = AccountState(2, "p", flags=Flags(credits_must_not_exceed_debits=True))
    with pytest.raises(ExceedsDebits):
        check_totals(payable, Balance(debits_posted=1, credits_posted=2), field="amount")
    plain = AccountState(3, "t")
    with pytest.raises(ValidationFailed, match="overflow"):
        check_totals(plain, Balance(debits_posted=MAX_AMOUNT, debits_pending=1), field="amount")


@pytest.mark.parametrize(("spec", "field_"), [
    (TransferSpec.transfer(id="", debit="a", credit="b", amount=1, reason="r"), "id"),
    (TransferSpec.transfer(id="x" * 129, debit="a", credit="b", amount=1, reason="r"), "id"),
    (TransferSpec.transfer(id="x\x00", debit="a", credit="b", amount=1, reason="r"), "id"),
    (TransferSpec.transfer(id="x", debit="a", credit="b", amount=1, reason="r\n"), "reason"),
    (TransferSpec.transfer(id="x", debit="a", credit="a", amount=1, reason="r"), "credit"),
    (TransferSpec.transfer(id="x", debit="a", credit="b", amount=0, reason="r"), "amount"),
    (TransferSpec.transfer(id="x", debit="a", credit="b", amount=1, reason=""), "reason"),
    (TransferSpec.transfer(id="x", debit="a", credit="b", amount=1, reason="r",
                           ref="x" * 201), "ref"),
    (TransferSpec.hold(id="x", debit="a", credit="b", amount=1, reason="r",
                       expires_at=datetime(2031, 1, 1)), "expires_at"),
    (TransferSpec.post(id="x", pending_id="", amount=1), "pending_id"),
    (TransferSpec.post(id="x", pending_id="h", amount=-1), "amount"),
    (TransferSpec("void", "x", amount=5, reason="void", pending_id="h"), "amount"),
    (TransferSpec("expire", "x", reason="expire", pending_id="h"), "kind"),
    (TransferSpec("transfer", "x", "a", "b", 1, "r", pending_id="h"), "pending_id"),
])
def test_bad_specs_name_their_field(spec: TransferSpec, field_: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_batch([spec], batched=False)
    assert caught.value.field == field_
    with pytest.raises(ValidationFailed) as caught:
        check_batch([TransferSpec.transfer(id="ok", debit="a", credit="b", amount=1,
                                           reason="r"), spec])
    assert caught.value.field == f"transfers[1].{field_}"


def test_a_new_hold_must_expire_in_the_future_but_a_retry_may_come_late() -> None:
    m = memory()
    m.run([TransferSpec.transfer(id="f", debit="treasury", credit="voucher", amount=100,
                                 reason="fund")])
    spec = TransferSpec.hold(id="h", debit="voucher", credit="provider", amount=5,
                             reason="r", expires_at=NOW + timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as caught:
        m.run([spec], NOW + timedelta(minutes=1))
    assert caught.value.field == "transfers[0].expires_at"
    m.run([spec])
    result = plan([spec], accounts=list(m.accounts.values()), stored=m.stored,
                  now=NOW + timedelta(days=1))
    assert result.results[0].replayed


def test_duplicate_ids_in_a_batch() -> None:
    spec = TransferSpec.transfer(id="x", debit="a", credit="b", amount=1, reason="r")
    with pytest.raises(ValidationFailed) as caught:
        check_batch([spec, spec])
    assert caught.value.field == "transfers[1].id"


@dataclass
class Memory:
    """A ledger kept in memory with the real planner: what the service does, minus SQL."""

    accounts: dict[int, AccountState] = field(default_factory=dict)
    stored: dict[str, Stored] = field(default_factory=dict)

    def open(self, code: str, *, no_overdraft: bool = False) -> None:
        i = len(self.accounts) + 1
        self.accounts[i] = AccountState(i, code, flags=Flags(no_overdraft))

    def run(self, specs: list[TransferSpec], now: datetime = NOW) -> None:
        check_batch(specs)
        result = plan(specs, accounts=list(self.accounts.values()), stored=self.stored, now=now)
        self.accounts.update(result.accounts)
        for row in result.transfers:
            self.stored[row.id] = row
        for hold in result.holds_insert + result.holds_update:
            old = self.stored[hold.transfer_id]
            self.stored[hold.transfer_id] = Stored(**{**old.__dict__, "hold_state": hold.state})

    def balance(self, code: str) -> Balance:
        return next(a.balance for a in self.accounts.values() if a.code == code)


def memory() -> Memory:
    m = Memory()
    m.open("treasury")
    for code in ("voucher", "cash"):
        m.open(code, no_overdraft=True)
    m.open("provider")
    return m


def test_two_phase_in_memory() -> None:
    m = memory()
    m.run([TransferSpec.transfer(id="f", debit="treasury", credit="voucher", amount=100,
                                 reason="fund")])
    m.run([TransferSpec.hold(id="h", debit="voucher", credit="provider", amount=60,
                             reason="c", expires_at=NOW + timedelta(hours=1)),
           TransferSpec.post(id="p", pending_id="h", amount=25)])
    assert m.balance("voucher") == Balance(debits_posted=25, credits_posted=100)
    assert m.stored["h"].hold_state is HoldState.POSTED
    for spec, error in ((TransferSpec.post(id="p2", pending_id="h"), HoldAlreadyResolved),
                        (TransferSpec.void(id="v2", pending_id="h"), HoldAlreadyResolved),
                        (TransferSpec.post(id="p", pending_id="h", amount=26), TransferExists),
                        (TransferSpec.post(id="p3", pending_id="nope"), ValidationFailed)):
        with pytest.raises(error):
            m.run([spec])
    m.run([TransferSpec.hold(id="h2", debit="voucher", credit="provider", amount=10,
                             reason="c", expires_at=NOW + timedelta(seconds=5))])
    with pytest.raises(HoldExpired):
        m.run([TransferSpec.post(id="late", pending_id="h2")], NOW + timedelta(seconds=5))


# --- The planner against a naive model, on random sequences --------------------------------

CODES = ["treasury", "voucher", "cash", "provider"]
GUARDED = {"voucher", "cash"}
specs_strategy = st.lists(st.tuples(
    st.sampled_from(["transfer", "hold", "post", "void"]), st.sampled_from(CODES),
    st.sampled_from(CODES), st.integers(-5, 300), st.integers(0, 30),
    st.one_of(st.none(), st.integers(1, 300))), min_size=1, max_size=25)


def naive_apply(model: dict[str, list[int]], holds: dict[str, tuple[str, str, int, bool]],
                spec: tuple[str, str, str, int, int, int | None], ident: str) -> None:
    """Plain arithmetic on [debits_posted, credits_posted, debits_pending, credits_pending];
    raises AppError where the rules refuse the transfer (nothing then changes)."""
    kind, debit, credit, amount, target, post_amount = spec
    if kind in ("transfer", "hold"):
        if debit == credit or amount <= 0:
            raise ValidationFailed("bad")
        d, c = list(model[debit]), list(model[credit])
        column = 0 if kind == "transfer" else 2
        d[column] += amount
        c[column + 1] += amount
        if debit in GUARDED and d[0] + d[2] > d[1]:
            raise ExceedsCredits("short")
        model[debit], model[credit] = d, c
        if kind == "hold":
            holds[ident] = (debit, credit, amount, True)
        return
    hold_id = f"op{target}"
    if hold_id not in holds:
        raise ValidationFailed("no hold")
    debit, credit, pending, open_ = holds[hold_id]
    if not open_:
        raise HoldAlreadyResolved("resolved")
    moved = 0
    if kind == "post":
        moved = pending if post_amount is None else post_amount
        if moved > pending:
            raise ValidationFailed("too much")
    model[debit][2] -= pending
    model[credit][3] -= pending
    model[debit][0] += moved
    model[credit][1] += moved
    holds[hold_id] = (debit, credit, pending, False)


def to_spec(spec: tuple[str, str, str, int, int, int | None], ident: str) -> TransferSpec:
    kind, debit, credit, amount, target, post_amount = spec
    if kind == "transfer":
        return TransferSpec.transfer(id=ident, debit=debit, credit=credit, amount=amount,
                                     reason="r")
    if kind == "hold":
        return TransferSpec.hold(id=ident, debit=debit, credit=credit, amount=amount,
                                 reason="r")
    if kind == "post":
        return TransferSpec.post(id=ident, pending_id=f"op{target}", amount=post_amount)
    return TransferSpec.void(id=ident, pending_id=f"op{target}")


@settings(max_examples=300, deadline=None)
@given(specs_strategy)
def test_planner_matches_naive_model_one_by_one(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    m = memory()
    m.run([TransferSpec.transfer(id="fund", debit="treasury", credit="voucher", amount=500,
                                 reason="fund")])
    model = {code: [0, 0, 0, 0] for code in CODES}
    model["treasury"][0] = model["voucher"][1] = 500
    holds: dict[str, tuple[str, str, int, bool]] = {}
    for i, op in enumerate(ops):
        ident = f"op{i}"
        expected: type[AppError] | None = None
        try:
            naive_apply(model, holds, op, ident)
        except AppError as exc:
            expected = type(exc)
        try:
            m.run([to_spec(op, ident)])
        except AppError as exc:
            assert expected is not None and isinstance(exc, expected), (op, exc)
        else:
            assert expected is None, op
        for code in CODES:
            b = m.balance(code)
            assert [b.debits_posted, b.credits_posted, b.debits_pending,
                    b.credits_pending] == model[code]
        totals = [a.balance for a in m.accounts.values()]
        assert sum(b.debits_posted for b in totals) == sum(b.credits_posted for b in totals)
        assert sum(b.debits_pending for b in totals) == sum(b.credits_pending for b in totals)
        assert all(m.balance(code).available >= 0 for code in GUARDED)


@settings(max_examples=200, deadline=None)
@given(specs_strategy)
def test_a_batch_is_all_or_nothing(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    m = memory()
    m.run([TransferSpec.transfer(id="fund", debit="treasury", credit="voucher", amount=500,
                                 reason="fund")])
    before = {a.id: (a.balance, a.version) for a in m.accounts.values()}
    specs = [to_spec(op, f"op{i}") for i, op in enumerate(ops)]
    try:
        m.run(specs)
    except AppError as exc:
        assert exc.field is not None and exc.field.startswith("transfers[")
        assert {a.id: (a.balance, a.version) for a in m.accounts.values()} == before
        assert set(m.stored) == {"fund"}
        return
    assert set(m.stored) == {"fund", *(s.id for s in specs)}
    # Replaying the whole batch moves nothing and answers with the same transfers.
    after = {a.id: a.balance for a in m.accounts.values()}
    result = plan(specs, accounts=list(m.accounts.values()), stored=m.stored, now=NOW)
    assert all(r.replayed for r in result.results) and not result.transfers
    assert {a.id: a.balance for a in m.accounts.values()} == after
