"""Turn an assignment into the result JSON object of the contract.

Every match is re-verified here with the exact rules (Decimal, integer fen); a match
that failed would be dropped (lowest value first for an over-spent voucher), so the
result is feasible whatever the optimiser did.

Unmatched reasons, first that applies:

1. ``no_compatible_offer``: rules 1-3 fail for every offer;
2. ``over_limit``: rule 5 fails for every offer that passes rules 1-3;
3. ``voucher_exhausted``: some placement passing rules 1-5 fits the capacity left
   by the matches, but the voucher's remaining balance covers none of them;
4. ``outbid``: every placement passing rules 1-5 meets capacity taken by other
   matches (or, with a positive energy price, the only placements left would have a
   value <= 0, which cannot raise the objective; an order bigger than every
   offer it may use is also outbid).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from suanli.market.clearing import rules
from suanli.market.clearing.book import Book
from suanli.market.clearing.market import Market
from suanli.market.clearing.snapshot import Snapshot

OPTIMAL_GAP = 1e-6  # relative gap under which a bound proves the objective optimal


@dataclass(frozen=True)
class Match:
    """One verified assignment: indices into the snapshot and its exact money."""

    order: int
    offer: int
    start: int
    money: rules.Money


def verify(snap: Snapshot, triples: Iterable[tuple[int, int, int]], *,
           positive: bool = True) -> list[Match]:
    """The given (order, offer, start) triples that are exactly feasible together
    (and, with ``positive``, of positive value)."""
    matches = []
    for o, k, s in sorted(triples):
        order, offer = snap.orders[o], snap.offers[k]
        if not (rules.compatible(snap, order, offer) and rules.start_ok(order, offer, s)):
            continue
        money = rules.match_money(snap, order, offer)
        if rules.within_limit(order, offer, money.rate) and (money.value_cny > 0 or not positive):
            matches.append(Match(o, k, s, money))
    return _within_budgets(snap, _within_capacity(snap, matches))


def _within_capacity(snap: Snapshot, matches: list[Match]) -> list[Match]:
    used = np.zeros((len(snap.offers), snap.slots), dtype=np.int64)
    kept = []
    for match in sorted(matches, key=lambda x: (-x.money.value_cny, x.order)):
        order = snap.orders[match.order]
        run = used[match.offer, match.start:match.start + order.duration_slots]
        if run.max(initial=0) + order.gpus <= snap.offers[match.offer].gpus:
            run += order.gpus
            kept.append(match)
    return kept


def _within_budgets(snap: Snapshot, matches: list[Match]) -> list[Match]:
    left = {v.id: v.balance_fen for v in snap.vouchers}
    kept = []
    for match in sorted(matches, key=lambda x: (-x.money.value_cny, x.order)):
        voucher = snap.orders[match.order].voucher
        if voucher is not None and match.money.subsidy_fen > 0:
            if match.money.subsidy_fen > left[voucher]:
                continue
            left[voucher] -= match.money.subsidy_fen
        kept.append(match)
    return sorted(kept, key=lambda x: x.order)


def reasons(full: Market, matches: list[Match]) -> dict[int, str]:
    """The reason each order without a match was left unmatched."""
    book = Book(full)
    for match in matches:
        lo, hi = int(full.order_ptr[match.order]), int(full.order_ptr[match.order + 1])
        pair = lo + int(np.searchsorted(full.pair_offer[lo:hi], match.offer))
        book.place(pair, match.start)
    out = {}
    for o in range(full.n_orders):
        if o in book.assign:
            continue
        if not full.has_compatible[o]:
            out[o] = "no_compatible_offer"
        elif not full.has_within_limit[o]:
            out[o] = "over_limit"
        else:
            out[o] = "voucher_exhausted" if _only_money_lacks(book, o) else "outbid"
    return out


def _only_money_lacks(book: Book, o: int) -> bool:
    m = book.m
    pairs, fit = book.placements(o, affordable=False)
    fitting = pairs[fit.any(axis=1)] if len(pairs) else pairs
    v = int(m.voucher[o])
    return bool(len(fitting)) and v >= 0 and bool((m.pair_subsidy[fitting] > book.left[v]).all())


def assignment_json(snap: Snapshot, match: Match) -> dict[str, Any]:
    """One assignment of the result."""
    order, offer, money = snap.orders[match.order], snap.offers[match.offer], match.money
    return {
        "order": order.id, "offer": offer.id, "start_slot": match.start, "gpus": order.gpus,
        "gpu_hours": rules.gpu_hours_json(money.gpu_hours),
        "unit_price_cny": rules.fen_text(offer.ask_fen),
        "subsidy_rate": rules.rate_text(money.rate),
        "cost_cny": rules.fen_text(money.cost_fen),
        "subsidy_cny": rules.fen_text(money.subsidy_fen),
        "buyer_pays_cny": rules.fen_text(money.buyer_pays_fen),
        "energy_kwh": rules.energy_json(money.energy_kwh),
    }


def build(snap: Snapshot, full: Market, matches: list[Match], bound: float | None,
          seconds: float) -> dict[str, Any]:
    """The result JSON object; ``bound`` None leaves ``bound_cny`` out."""
    objective = rules.yuan_to_fen(sum((x.money.value_cny for x in matches), Decimal(0)))
    status = "empty" if not matches else "feasible"
    result: dict[str, Any] = {"round_id": snap.round_id, "status": status,
                              "objective_cny": rules.fen_text(objective)}
    if bound is not None:
        bound_fen = max(objective, math.ceil(bound * 100))
        if matches and bound_fen - objective <= OPTIMAL_GAP * max(objective, 100) + 1:
            result["status"], bound_fen = "optimal", objective
        result["bound_cny"] = rules.fen_text(bound_fen)
    result["solve_seconds"] = round(seconds, 3)
    result["assignments"] = sorted((assignment_json(snap, x) for x in matches),
                                   key=lambda a: a["order"])
    why = reasons(full, matches)
    result["unmatched"] = sorted(({"order": snap.orders[o].id, "reason": r}
                                  for o, r in why.items()), key=lambda u: u["order"])
    return result


def triples_of(m: Market, book: Book) -> list[tuple[int, int, int]]:
    """The (order, offer, start) triples of a book."""
    return [(o, int(m.pair_offer[p]), s) for o, (p, s) in book.assign.items()]
