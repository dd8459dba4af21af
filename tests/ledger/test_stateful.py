"""Random sequences of transfers, holds, posts, voids, expiries, retries and batches against
the real database, checked after every step against a model of balances kept by hand.

Each example runs in a savepoint of the test's transaction and is rolled back at its end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session

from suanli.kit.errors import AppError, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits, HoldAlreadyResolved, HoldExpired, TransferExists
from suanli.ledger.posting import AccountKind, TransferSpec
from suanli.ledger.verify import verify

NAMES = ["treasury", "voucher", "cash", "provider"]
GUARDED = {"voucher", "cash"}
amounts = st.integers(min_value=1, max_value=400)


class Refused(Exception):
    """What the model expects the ledger to refuse, with the error class."""

    def __init__(self, error: type[AppError]) -> None:
        super().__init__(error.__name__)
        self.error = error


class Model:
    """Balances as [debits_posted, credits_posted, debits_pending, credits_pending]."""

    def __init__(self) -> None:
        self.totals = {name: [0, 0, 0, 0] for name in NAMES}
        self.holds: dict[str, dict[str, Any]] = {}

    def move(self, debit: str, credit: str, posted: int, pending: int) -> None:
        d, c = list(self.totals[debit]), list(self.totals[credit])
        d[0] += posted
        c[1] += posted
        d[2] += pending
        c[3] += pending
        if debit in GUARDED and d[0] + d[2] > d[1]:
            raise Refused(ExceedsCredits)
        self.totals[debit], self.totals[credit] = d, c

    def resolve(self, hold_id: str, amount: int | None, now: datetime, *, post: bool) -> int:
        hold = self.holds.get(hold_id)
        if hold is None:
            raise Refused(ValidationFailed)
        if hold["state"] == "expired" or (
                hold["state"] == "pending" and hold["expires_at"] and hold["expires_at"] <= now):
            raise Refused(HoldExpired)
        if hold["state"] != "pending":
            raise Refused(HoldAlreadyResolved)
        moved = hold["amount"] if amount is None or not post else amount
        if moved > hold["amount"]:
            raise Refused(ValidationFailed)
        self.move(hold["debit"], hold["credit"], moved if post else 0, -hold["amount"])
        hold["state"] = "posted" if post else "voided"
        return moved


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.savepoint = session.begin_nested()
        self.tag = uuid.uuid4().hex[:6]
        self.code = {name: f"{name}:{self.tag}" for name in NAMES}
        self.model = Model()
        self.now = datetime(2030, 1, 1, tzinfo=UTC)
        self.done: dict[str, tuple[TransferSpec, Any]] = {}
        self.n = 0
        self.opened = False

    @initialize()
    def open_accounts(self) -> None:
        for name in NAMES:
            ledger.open_account(self.session, code=self.code[name], kind=AccountKind.PLATFORM,
                                owner_org_id=None, name=name,
                                debits_must_not_exceed_credits=name in GUARDED)
        self.apply(TransferSpec.transfer(id=self.next_id(), debit=self.code["treasury"],
                                         credit=self.code["voucher"], amount=1000,
                                         reason="fund"))
        self.opened = True

    def next_id(self) -> str:
        self.n += 1
        return f"{self.tag}-{self.n}"

    def name_of(self, code: str | None) -> str:
        return (code or "").split(":")[0]

    def expect(self, model: Model, spec: TransferSpec) -> None:
        """Apply one spec to the model, raising Refused where the ledger must refuse."""
        if spec.kind in ("transfer", "hold"):
            debit, credit, amount = self.name_of(spec.debit), self.name_of(spec.credit), spec.amount
            assert amount is not None
            model.move(debit, credit, amount if spec.kind == "transfer" else 0,
                       amount if spec.kind == "hold" else 0)
            if spec.kind == "hold":
                model.holds[spec.id] = {"debit": debit, "credit": credit, "amount": amount,
                                        "expires_at": spec.expires_at, "state": "pending"}
            return
        model.resolve(spec.pending_id or "", spec.amount, self.now, post=spec.kind == "post")

    def apply(self, *specs: TransferSpec) -> None:
        trial = Model()
        trial.totals = {k: list(v) for k, v in self.model.totals.items()}
        trial.holds = {k: dict(v) for k, v in self.model.holds.items()}
        refused: type[AppError] | None = None
        try:
            # Bad input anywhere in a batch is refused before any account is looked at.
            if any(s.debit is not None and s.debit == s.credit for s in specs):
                raise Refused(ValidationFailed)
            for spec in specs:
                self.expect(trial, spec)
        except Refused as exc:
            refused = exc.error
        try:
            if len(specs) == 1:
                results = [ledger.batch(self.session, list(specs), now=self.now)[0]]
            else:
                results = ledger.batch(self.session, list(specs), now=self.now)
        except AppError as exc:
            assert refused is not None and isinstance(exc, refused), (specs, exc)
            return
        assert refused is None, (specs, refused)
        self.model = trial
        for spec, result in zip(specs, results, strict=True):
            assert not result.replayed
            self.done[spec.id] = (spec, result)

    @rule(debit=st.sampled_from(NAMES), credit=st.sampled_from(NAMES), amount=amounts)
    def transfer(self, debit: str, credit: str, amount: int) -> None:
        self.apply(TransferSpec.transfer(id=self.next_id(), debit=self.code[debit],
                                         credit=self.code[credit], amount=amount, reason="t"))

    @rule(debit=st.sampled_from(NAMES), credit=st.sampled_from(NAMES), amount=amounts,
          minutes=st.one_of(st.none(), st.integers(1, 120)))
    def hold(self, debit: str, credit: str, amount: int, minutes: int | None) -> None:
        expires = None if minutes is None else self.now + timedelta(minutes=minutes)
        self.apply(TransferSpec.hold(id=self.next_id(), debit=self.code[debit],
                                     credit=self.code[credit], amount=amount, reason="h",
                                     expires_at=expires))

    @rule(data=st.data(), amount=st.one_of(st.none(), amounts))
    def post(self, data: st.DataObject, amount: int | None) -> None:
        target = data.draw(st.sampled_from([*self.model.holds, "no-such-hold"]))
        self.apply(TransferSpec.post(id=self.next_id(), pending_id=target, amount=amount))

    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from([*self.model.holds, "no-such-hold"]))
        self.apply(TransferSpec.void(id=self.next_id(), pending_id=target))

    @rule(minutes=st.integers(1, 90))
    def expire(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        due = [h for h in self.model.holds.values()
               if h["state"] == "pending" and h["expires_at"] and h["expires_at"] <= self.now]
        assert ledger.expire_holds(self.session, now=self.now) == len(due)
        for hold in due:
            self.model.move(hold["debit"], hold["credit"], 0, -hold["amount"])
            hold["state"] = "expired"
        assert ledger.expire_holds(self.session, now=self.now) == 0

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        if not self.done:
            return
        spec, first = self.done[data.draw(st.sampled_from(sorted(self.done)))]
        (again,) = ledger.batch(self.session, [spec], now=self.now)
        assert again.replayed
        assert again == type(first)(**{**first.__dict__, "replayed": True})

    @rule(data=st.data())
    def retry_with_other_amount(self, data: st.DataObject) -> None:
        moved = [s for s, _ in self.done.values() if s.kind in ("transfer", "hold")]
        if not moved:
            return
        spec = data.draw(st.sampled_from(moved))
        other = TransferSpec(spec.kind, spec.id, spec.debit, spec.credit,
                             (spec.amount or 0) + 1, spec.reason, spec.ref,
                             expires_at=spec.expires_at)
        try:
            ledger.batch(self.session, [other], now=self.now)
        except TransferExists as exc:
            assert exc.field == "transfers[0].amount"
        else:
            raise AssertionError("a changed retry was accepted")

    @rule(legs=st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES), amounts),
                        min_size=2, max_size=4))
    def linked_batch(self, legs: list[tuple[str, str, int]]) -> None:
        self.apply(*[TransferSpec.transfer(id=self.next_id(), debit=self.code[d],
                                           credit=self.code[c], amount=a, reason="b")
                     for d, c, a in legs])

    @invariant()
    def balances_match_the_model(self) -> None:
        if not self.opened:
            return
        sums = [0, 0, 0, 0]
        for name in NAMES:
            b = ledger.balance(self.session, self.code[name])
            got = [b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending]
            assert got == self.model.totals[name], name
            sums = [x + y for x, y in zip(sums, got, strict=True)]
            if name in GUARDED:
                assert b.available >= 0
        assert sums[0] == sums[1] and sums[2] == sums[3]

    def teardown(self) -> None:
        try:
            verdict = verify(self.session)
            assert verdict.ok, verdict.problem
        finally:
            self.savepoint.rollback()


def test_ledger_state_machine(db: Session) -> None:
    run_state_machine_as_test(
        lambda: LedgerMachine(db),
        settings=settings(max_examples=30, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]))
