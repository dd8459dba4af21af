"""Property: for any contract and any usage, in every redemption mode, the provider receives
exactly the charges, the buyer's net cost is the charges less the subsidy, the city pays
exactly the subsidy (what a partial voucher had left at most), and nothing is uncovered while
the contract's holds last.

Drives the pure core the service runs (the market's holds, running totals, shares, the
plan of each settlement, the chain of holds) through a contract's days without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.kit.money import round_fen
from suanli.market.matching import hold_amounts, split_cost
from suanli.programs.enums import RedemptionMode, buyer_pays_all
from suanli.settlement.charges import Billed, Link, advance, plan, running, split


@dataclass
class Books:
    """A contract's money in miniature: two chains of holds, the buyer's cash, who got what."""

    voucher: Link
    buyer: Link
    cash: int
    earmarked: int = 0
    provider: int = 0
    buyer_paid: int = 0
    reimbursed: int = 0
    city: int = 0
    uncovered: int = 0
    claims: list[int] = field(default_factory=list)

    def move(self, side: str, post: int, keep: int, day: int) -> int:
        link = getattr(self, side)
        step = advance(link, amount=post, keep=keep, reason="settle",
                       ids=(f"{side}{day}p", f"{side}{day}v", f"{side}{day}h"))
        setattr(self, side, step.link)
        return post


def settle(books: Books, totals: list[int], *, price: int, rate: Decimal,
           reimbursed: bool) -> Billed:
    billed = Billed()
    for day, total in enumerate(totals):
        final = day == len(totals) - 1
        charge, subsidy = running(total, price, rate, billed)
        shares = split(charge, rate=rate, subsidy=subsidy, buyer_pays_all=reimbursed,
                       voucher_room=books.voucher.remaining - books.earmarked,
                       buyer_room=books.buyer.remaining, cash_room=books.cash)
        moves = plan(shares, reimbursed=reimbursed, voucher_remaining=books.voucher.remaining,
                     earmarked=books.earmarked, buyer_remaining=books.buyer.remaining,
                     final=final)
        books.city += books.move("voucher", moves.voucher_post, moves.voucher_keep, day)
        books.earmarked = moves.earmarked
        books.buyer_paid += books.move("buyer", moves.buyer_post, moves.buyer_keep, day)
        books.buyer_paid += shares.direct
        books.cash -= shares.direct
        books.provider += moves.payout
        books.uncovered += shares.uncovered
        if shares.voucher:
            books.claims.append(shares.voucher)
        billed = Billed(total, billed.charge + charge, billed.subsidy + shares.voucher)
    return billed


def approve(books: Books, *, reimbursed: bool) -> None:
    for n, amount in enumerate(books.claims):
        if reimbursed:  # posted from the voucher chain, passed to the buyer's cash
            books.earmarked -= amount
            books.city += books.move("voucher", amount, books.voucher.remaining - amount,
                                     1000 + n)
            books.reimbursed += amount
        else:  # already in the provider's receivable: paid out
            books.provider += amount


contracts = st.tuples(st.integers(1, 64), st.integers(1, 200), st.integers(1, 100_000),
                      st.integers(0, 10_000).map(lambda bp: Decimal(bp) / 10_000))


@settings(deadline=None)  # timing is not the point; a loaded CI machine is slow
@given(contracts, st.lists(st.integers(0, 10**6), min_size=1, max_size=12), st.booleans(),
       st.sampled_from(list(RedemptionMode)), st.one_of(st.none(), st.integers(0, 10**6)))
def test_every_charge_is_paid_and_the_city_pays_exactly_the_subsidy(
        contract: tuple[int, int, int, Decimal], points: list[int], exact: bool,
        mode: RedemptionMode, short: int | None) -> None:
    reimbursed = buyer_pays_all(mode)  # what the services derive from the program's mode
    gpus, hours, price, rate = contract
    most = gpus * hours * 3600  # reconciliation never bills more GPU time than contracted
    totals = sorted(p * most // 10**6 for p in points)
    if exact:
        totals.append(most)
    cost, subsidy, _ = split_cost(price, gpus * hours, rate)
    if short is not None:  # a partial voucher: it had only this much left (millionths)
        subsidy = subsidy * short // 10**6
    voucher_hold, buyer_hold = hold_amounts(cost, subsidy, buyer_pays_all=reimbursed)
    books = Books(Link("v", "voucher", "recv", voucher_hold),
                  Link("b", "cash", "recv", buyer_hold), cash=0)
    billed = settle(books, totals, price=price, rate=rate, reimbursed=reimbursed)
    approve(books, reimbursed=reimbursed)

    assert books.uncovered == 0
    assert books.provider == billed.charge
    if exact:
        assert billed.charge == cost  # delivered exactly: billed exactly its price
    assert billed.charge <= cost
    assert billed.subsidy == min(round_fen(Decimal(billed.charge) * rate), subsidy)
    assert books.city == billed.subsidy
    assert books.buyer_paid - books.reimbursed == billed.charge - billed.subsidy
    assert (books.voucher.remaining, books.buyer.remaining, books.earmarked) == (0, 0, 0)
