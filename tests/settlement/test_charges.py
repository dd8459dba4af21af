"""The pure money of settlement: charges, shares, and the chain of holds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.settlement.charges import (
    Link,
    advance,
    charge_fen,
    period_bounds,
    period_of,
    split,
)

rates = st.decimals(min_value=0, max_value=1, places=2)
fen = st.integers(min_value=0, max_value=10**12)


@given(st.integers(min_value=0, max_value=10**10), st.integers(min_value=0, max_value=10**7))
def test_charge_is_exact_half_even(gpu_seconds: int, price: int) -> None:
    exact = Decimal(gpu_seconds) * Decimal(price) / Decimal(3600)
    assert charge_fen(gpu_seconds, price) == int(exact.quantize(Decimal(1), ROUND_HALF_EVEN))


def test_charge_by_hand() -> None:
    assert charge_fen(3600, 980) == 980  # one GPU-hour at 9.80
    assert charge_fen(1800, 1) == 0  # 0.5 fen rounds to even (0)
    assert charge_fen(5400, 1) == 2  # 1.5 fen rounds to even (2)
    assert charge_fen(64 * 72 * 3600, 980) == 4515840
    with pytest.raises(ValueError):
        charge_fen(-1, 980)


@given(fen, rates, fen, fen, st.booleans(), fen)
def test_shares_add_up_and_respect_the_holds(charge: int, rate: Decimal, voucher_room: int,
                                             buyer_room: int, buyer_pays_all: bool,
                                             cash_room: int) -> None:
    s = split(charge, rate=rate, voucher_room=voucher_room, buyer_room=buyer_room,
              buyer_pays_all=buyer_pays_all, cash_room=cash_room)
    assert min(s.voucher, s.buyer, s.uncovered, s.direct) >= 0
    assert s.voucher <= voucher_room and s.from_hold <= buyer_room and s.direct <= cash_room
    if buyer_pays_all:
        assert s.buyer + s.uncovered == charge and s.voucher <= s.buyer
    else:
        assert s.voucher + s.buyer + s.uncovered == charge and s.direct == 0
    subsidy = int((Decimal(charge) * rate).quantize(Decimal(1), ROUND_HALF_EVEN))
    if voucher_room >= charge and buyer_room >= charge:
        assert s.voucher == subsidy and s.uncovered == 0


def test_voucher_share_capped_at_its_hold() -> None:
    s = split(10_000, rate=Decimal("0.60"), voucher_room=2_500, buyer_room=4_000)
    assert (s.voucher, s.buyer, s.uncovered) == (2_500, 4_000, 3_500)
    s = split(10_000, rate=Decimal("0.30"), voucher_room=2_500, buyer_room=10_000,
              buyer_pays_all=True)
    assert (s.voucher, s.buyer, s.uncovered) == (2_500, 10_000, 0)
    # Beijing with the market's hold of only the buyer's share: the rest from its cash.
    s = split(10_000, rate=Decimal("0.30"), voucher_room=3_000, buyer_room=7_000,
              buyer_pays_all=True, cash_room=1_000)
    assert (s.voucher, s.buyer, s.direct, s.uncovered) == (3_000, 8_000, 1_000, 2_000)


LINK = Link("contract:1:voucher", "voucher:1", "provider-receivable:p", 10_000)


def _ids(label: str) -> tuple[str, str, str]:
    return (f"post:{label}", f"void:{label}", f"hold:{label}")


def test_advance_posts_and_reholds_the_rest() -> None:
    step = advance(LINK, amount=3_000, keep=7_000, ids=_ids("d1"), reason="settle")
    post, again = step.specs
    assert (post.kind, post.pending_id, post.amount) == ("post", "contract:1:voucher", 3_000)
    assert (again.kind, again.id, again.amount, again.debit) == ("hold", "hold:d1", 7_000,
                                                                 "voucher:1")
    assert step.link.hold_id == "hold:d1" and step.link.remaining == 7_000


def test_advance_nothing_to_do_and_final_void() -> None:
    assert advance(LINK, amount=0, keep=10_000, ids=_ids("d1"), reason="x").specs == ()
    (void,) = advance(LINK, amount=0, keep=0, ids=_ids("end"), reason="x").specs
    assert void.kind == "void" and void.pending_id == LINK.hold_id
    (post,) = advance(LINK, amount=10_000, keep=0, ids=_ids("end"), reason="x").specs
    assert post.kind == "post"
    with pytest.raises(ValueError):
        advance(LINK, amount=9_000, keep=2_000, ids=_ids("x"), reason="x")


@settings(deadline=None)  # timing is not the point; a loaded CI machine is slow
@given(st.lists(st.integers(min_value=0, max_value=4_000), max_size=12))
def test_a_chain_posts_exactly_what_settled_and_releases_the_rest(amounts: list[int]) -> None:
    link, posted, pending = LINK, 0, {LINK.hold_id: LINK.remaining}
    for day, wanted in enumerate(amounts):
        amount = min(wanted, link.remaining)
        step = advance(link, amount=amount, keep=link.remaining - amount,
                       ids=_ids(str(day)), reason="settle")
        for spec in step.specs:  # a two-phase ledger in miniature: each hold resolves once
            if spec.kind == "hold":
                pending[spec.id] = spec.amount or 0
            else:
                held = pending.pop(spec.pending_id or "")
                posted += min(spec.amount or 0, held) if spec.kind == "post" else 0
        link = step.link
    final = advance(link, amount=0, keep=0, ids=_ids("end"), reason="end")
    for spec in final.specs:
        pending.pop(spec.pending_id or "")
    assert pending == {}
    assert posted == sum(min(a, LINK.remaining - s) for a, s in
                         zip(amounts, _prefix(amounts), strict=True))


def _prefix(amounts: list[int]) -> list[int]:
    out, total = [], 0
    for a in amounts:
        out.append(min(total, LINK.remaining))
        total += a
    return out


def test_periods_are_shanghai_days() -> None:
    start, end = period_bounds(date(2026, 12, 1))
    assert start == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert period_of(datetime(2026, 11, 30, 16, tzinfo=UTC)) == date(2026, 12, 1)
    assert period_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == date(2026, 11, 30)


def test_running_totals_bill_what_the_day_adds() -> None:
    from suanli.settlement.charges import Billed, portion_until, running

    # 0.6 fen over a whole fen each day: rounded alone, three days would bill 3 fen extra.
    days, billed, total = [], Billed(), 0
    for seconds in (3600 * 6 + 2160, 3600 * 6 + 2160, 3600 * 6 + 2160):
        total += seconds
        charge, subsidy = running(total, 1, Decimal("0.5"), billed)
        days.append(charge)
        billed = Billed(total, billed.charge + charge, billed.subsidy + subsidy)
    assert days == [7, 6, 7] and billed.charge == charge_fen(total, 1) == 20
    assert billed.subsidy == 10
    start = datetime(2026, 12, 1, 12, tzinfo=UTC)
    until = datetime(2026, 12, 1, 16, tzinfo=UTC)
    end = datetime(2026, 12, 1, 20, tzinfo=UTC)
    assert portion_until(8 * 8 * 3600, start, end, until) == 8 * 4 * 3600
    assert portion_until(7, start, end, until) == 3  # floored; the next day bills the rest
    assert portion_until(7, start, until, until) == 7
    assert portion_until(7, until, end, until) == 0
