"""Brute force: the optimum of a tiny snapshot, by enumerating every assignment."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from suanli.market.clearing import parse, rules


def options(snapshot: dict[str, Any]) -> list[list[tuple[int, int, rules.Money] | None]]:
    """Per order: None (unmatched) and every (offer, start, money) allowed by rules 1-5."""
    snap = parse(snapshot)
    out: list[list[tuple[int, int, rules.Money] | None]] = []
    for order in snap.orders:
        choices: list[tuple[int, int, rules.Money] | None] = [None]
        for k, offer in enumerate(snap.offers):
            if not rules.compatible(snap, order, offer):
                continue
            money = rules.match_money(snap, order, offer)
            if not rules.within_limit(order, offer, money.rate):
                continue
            first, last = rules.start_range(order, offer) or (0, -1)
            choices.extend((k, s, money) for s in range(first, last + 1))
        out.append(choices)
    return out


def optimum(snapshot: dict[str, Any]) -> Decimal:
    """The best objective over all feasible assignments (exact)."""
    snap = parse(snapshot)
    best = Decimal(0)
    for combo in itertools.product(*options(snapshot)):
        used: dict[tuple[int, int], int] = {}
        spent: dict[str, int] = {}
        value, ok = Decimal(0), True
        for order, choice in zip(snap.orders, combo, strict=True):
            if choice is None:
                continue
            k, s, money = choice
            for t in range(s, s + order.duration_slots):
                used[k, t] = used.get((k, t), 0) + order.gpus
                ok = ok and used[k, t] <= snap.offers[k].gpus
            if order.voucher is not None:
                spent[order.voucher] = spent.get(order.voucher, 0) + money.subsidy_fen
                ok = ok and spent[order.voucher] <= snap.voucher_by_id[order.voucher].balance_fen
            value += money.value_cny
            if not ok:
                break
        if ok and value > best:
            best = value
    return best


def size(snapshot: dict[str, Any]) -> int:
    """How many assignments the brute force would enumerate."""
    total = 1
    for choices in options(snapshot):
        total *= len(choices)
    return total
