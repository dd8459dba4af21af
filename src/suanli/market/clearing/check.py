"""An independent verifier: recompute every rule of a result from the snapshot alone.

It uses only the exact rules (``rules``), never the optimiser's arrays, and plain
Python loops; it is meant for tests, audits and the benchmark, not for speed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from suanli.market.clearing import rules
from suanli.market.clearing.snapshot import Offer, Order, Snapshot
from suanli.market.clearing.validate import parse

STATUSES = ("optimal", "feasible", "empty")
REASONS = ("no_compatible_offer", "over_limit", "voucher_exhausted", "outbid")


class _State:
    """Capacity and balances left by the result's matches."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.free = {k.id: [k.gpus] * snap.slots for k in snap.offers}
        self.left = {v.id: v.balance_fen for v in snap.vouchers}

    def fits(self, order: Order, offer: Offer, start: int) -> bool:
        run = self.free[offer.id][start:start + order.duration_slots]
        return min(run) >= order.gpus

    def affordable(self, order: Order, money: rules.Money) -> bool:
        return order.voucher is None or money.subsidy_fen <= self.left[order.voucher]


def check(snapshot: dict[str, Any] | Snapshot, result: dict[str, Any], *,
          maximal: bool = True) -> list[str]:
    """Every way ``result`` breaks the contract for ``snapshot``; empty when it is right.

    With ``maximal`` (results of the optimiser) it also requires that every match has
    a positive value and that no unmatched order could still be matched with profit.
    """
    snap = snapshot if isinstance(snapshot, Snapshot) else parse(snapshot)
    problems: list[str] = []
    if result.get("round_id") != snap.round_id:
        problems.append("round_id: does not match the snapshot")
    if result.get("status") not in STATUSES:
        problems.append(f"status: {result.get('status')!r} is not one of {STATUSES}")
    state = _State(snap)
    total = _check_assignments(snap, result.get("assignments", []), state, problems, maximal)
    _check_totals(result, total, problems)
    _check_unmatched(snap, result, state, problems, maximal)
    return problems


def _check_assignments(snap: Snapshot, assignments: list[dict[str, Any]], state: _State,
                       problems: list[str], maximal: bool) -> Decimal:
    orders = {o.id: o for o in snap.orders}
    offers = {k.id: k for k in snap.offers}
    seen: set[str] = set()
    total = Decimal(0)
    ids = [str(a.get("order")) for a in assignments]
    if ids != sorted(ids):
        problems.append("assignments: not sorted by order id")
    for i, a in enumerate(assignments):
        at = f"assignments[{i}]"
        order, offer = orders.get(a.get("order", "")), offers.get(a.get("offer", ""))
        if order is None or offer is None or order.id in seen:
            problems.append(f"{at}: unknown or repeated order, or unknown offer")
            continue
        seen.add(order.id)
        start = a.get("start_slot")
        if not isinstance(start, int) or not rules.compatible(snap, order, offer) or \
                not rules.start_ok(order, offer, start):
            problems.append(f"{at}: breaks rules 1-3")
            continue
        money = rules.match_money(snap, order, offer)
        if not rules.within_limit(order, offer, money.rate):
            problems.append(f"{at}: breaks rule 5")
        if maximal and money.value_cny <= 0:
            problems.append(f"{at}: value {money.value_cny} is not positive")
        problems.extend(f"{at}.{key}: {got!r} != {want!r}"
                        for key, want, got in _money_fields(order, offer, money, a))
        state.free[offer.id][start:start + order.duration_slots] = [
            g - order.gpus for g in state.free[offer.id][start:start + order.duration_slots]]
        if order.voucher is not None:
            state.left[order.voucher] -= money.subsidy_fen
        total += money.value_cny
    problems.extend(f"offers: {k} over capacity in slot {t}"
                    for k, free in state.free.items() for t, g in enumerate(free) if g < 0)
    problems.extend(f"vouchers: {v} over-spent by {-left} fen"
                    for v, left in state.left.items() if left < 0)
    return total


def _money_fields(order: Order, offer: Offer, money: rules.Money,
                  a: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    want = {
        "gpus": order.gpus, "gpu_hours": rules.gpu_hours_json(money.gpu_hours),
        "unit_price_cny": rules.fen_text(offer.ask_fen),
        "subsidy_rate": rules.rate_text(money.rate),
        "cost_cny": rules.fen_text(money.cost_fen),
        "subsidy_cny": rules.fen_text(money.subsidy_fen),
        "buyer_pays_cny": rules.fen_text(money.buyer_pays_fen),
        "energy_kwh": rules.energy_json(money.energy_kwh),
    }
    return [(key, value, a.get(key)) for key, value in want.items() if a.get(key) != value]


def _check_totals(result: dict[str, Any], total: Decimal, problems: list[str]) -> None:
    objective = rules.fen_text(rules.yuan_to_fen(total))
    if result.get("objective_cny") != objective:
        problems.append(f"objective_cny: {result.get('objective_cny')!r} != {objective!r}")
    bound = result.get("bound_cny")
    if bound is not None and Decimal(bound) < Decimal(objective):
        problems.append("bound_cny: below the objective")
    empty = not result.get("assignments")
    if empty != (result.get("status") == "empty"):
        problems.append("status: must be 'empty' exactly when nothing is matched")
    if result.get("status") == "optimal" and bound is not None and bound != objective:
        problems.append("status: optimal but the bound differs from the objective")


def _check_unmatched(snap: Snapshot, result: dict[str, Any], state: _State,
                     problems: list[str], maximal: bool) -> None:
    unmatched = result.get("unmatched", [])
    ids = [str(u.get("order")) for u in unmatched]
    if ids != sorted(ids):
        problems.append("unmatched: not sorted by order id")
    matched = {str(a.get("order")) for a in result.get("assignments", [])}
    if sorted(ids + list(matched)) != sorted(o.id for o in snap.orders):
        problems.append("unmatched: every order must be matched or unmatched, once")
    orders = {o.id: o for o in snap.orders}
    for i, u in enumerate(unmatched):
        order = orders.get(u.get("order", ""))
        if order is None:
            continue
        want, profitable = _reason(snap, order, state)
        if u.get("reason") != want:
            problems.append(f"unmatched[{i}].reason: {u.get('reason')!r}, expected {want!r}")
        if maximal and profitable:
            problems.append(f"unmatched[{i}]: order {order.id} could still be matched")


def _reason(snap: Snapshot, order: Order, state: _State) -> tuple[str, bool]:
    """The reason for an unmatched order, and whether it could still be matched with profit."""
    compatible = [k for k in snap.offers if rules.compatible(snap, order, k)]
    if not compatible:
        return "no_compatible_offer", False
    allowed = [(k, money) for k in compatible
               if rules.within_limit(order, k, (money := rules.match_money(snap, order, k)).rate)]
    if not allowed:
        return "over_limit", False
    fitting, affordable, profitable = False, False, False
    for offer, money in allowed:
        first, last = rules.start_range(order, offer) or (0, -1)
        if any(state.fits(order, offer, s) for s in range(first, last + 1)):
            fitting = True
            if state.affordable(order, money):
                affordable = True
                profitable = profitable or money.value_cny > 0
    exhausted = fitting and not affordable and order.voucher is not None
    return ("voucher_exhausted" if exhausted else "outbid"), profitable
