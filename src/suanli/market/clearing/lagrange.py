"""A proved upper bound for markets too big for the LP: Lagrangian subgradient steps.

Capacity and budget rows are priced (``lam``, ``mu`` >= 0) and moved against
their violation by each order's best triple (Polyak steps towards the incumbent's
value). Every price vector gives a valid bound (see ``pricing``); the best one is
kept. The number of steps is fixed, so the bound is deterministic.

The triples the orders pick in the later steps, counted (``Guide``), approximate the LP
optimum (an ergodic primal); placing the orders most often picked first, each at its
most often picked triple that still fits, gives an assignment that local search then
improves (``solve``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from suanli.market.clearing.book import Book, greedy_sequence
from suanli.market.clearing.market import FloatArray, IntArray, Market
from suanli.market.clearing.master import Duals
from suanli.market.clearing.pricing import Priced, price


def _usage(m: Market, priced: Priced) -> tuple[FloatArray, FloatArray]:
    """GPUs per (offer, slot) and subsidy per voucher (CNY) of every order's best triple."""
    chosen = np.flatnonzero(priced.best_pair >= 0)
    pair, start = priced.best_pair[chosen], priced.best_start[chosen]
    dur = m.duration[chosen]
    col = np.repeat(np.arange(len(chosen)), dur)
    offset = np.arange(len(col)) - np.repeat(np.cumsum(dur) - dur, dur)
    keys = m.pair_offer[pair][col] * m.n_slots + start[col] + offset
    usage = np.bincount(keys, weights=m.gpus[chosen][col], minlength=m.n_offers * m.n_slots)
    vouch = m.voucher[chosen]
    has = vouch >= 0
    spend = np.bincount(vouch[has], weights=m.pair_subsidy[pair][has] / 100.0,
                        minlength=len(m.balance))
    return usage.astype(float), spend.astype(float)


STALE_STEPS = 5  # steps without a better bound before the step size is halved
DEFLECTION = 0.7  # share of the last direction kept in the next


class Guide:
    """The triple each order picked in each recorded step."""

    def __init__(self) -> None:
        self.orders: list[IntArray] = []
        self.keys: list[IntArray] = []

    def add(self, m: Market, priced: Priced) -> None:
        chosen = np.flatnonzero(priced.best_pair >= 0)
        self.orders.append(chosen)
        self.keys.append(priced.best_pair[chosen] * (m.n_slots + 1) + priced.best_start[chosen])

    def rounding(self, m: Market) -> Book:
        """Orders by how often they were picked (then by value), each at its most often
        picked triple that fits, else where it fits best; then the rest greedily."""
        book = Book(m)
        if not self.orders:
            return book
        width = (len(m.pair_order) + 1) * (m.n_slots + 1)
        combined = np.concatenate(self.orders) * width + np.concatenate(self.keys)
        unique, counts = np.unique(combined, return_counts=True)
        order, key = unique // width, unique % width
        ranked = np.lexsort((key, -counts, order))
        order, key = order[ranked], key[ranked]
        picked = np.bincount(unique // width, weights=counts, minlength=m.n_orders)
        best = np.full(m.n_orders, -np.inf)
        np.maximum.at(best, m.pair_order, m.pair_value)
        sequence = np.lexsort((np.arange(m.n_orders), -best, -picked))
        ptr = np.searchsorted(order, np.arange(m.n_orders + 1))
        for o in sequence[picked[sequence] > 0].tolist():
            for k in key[ptr[o]:ptr[o + 1]].tolist():
                pair, start = divmod(k, m.n_slots + 1)
                if book.fits(pair, start):
                    book.place(pair, start)
                    break
        book.fill(greedy_sequence(m, "value"))
        return book


def subgradient(m: Market, lower: float, rounds: int,
                stop: Callable[[], bool] = lambda: False,
                guide: Guide | None = None) -> tuple[float, Duals]:
    """The best Lagrangian bound (CNY) found in ``rounds`` steps (fewer if ``stop()``
    says so), and its prices; ``guide`` records the picks of the second half."""
    cells = m.n_offers * m.n_slots
    capacity = np.repeat(m.capacity, m.n_slots).astype(float)
    balance = m.balance / 100.0
    duals = Duals(np.zeros(cells), np.zeros(len(m.balance)), np.zeros(m.n_orders), 0.0)
    best, best_duals = float("inf"), duals
    theta, stale = 1.0, 0
    g_cap, g_bud = np.zeros(cells), np.zeros(len(m.balance))
    for index in range(rounds):
        if index and stop():
            break
        priced = price(m, duals, per_order=0)
        if guide is not None and 2 * index >= rounds:
            guide.add(m, priced)
        if priced.bound < best - 1e-9:
            best, best_duals, stale = priced.bound, duals, 0
        else:
            stale += 1
            if stale >= STALE_STEPS:
                theta, stale = theta / 2, 0
        usage, spend = _usage(m, priced)
        # Deflected: part of the last direction is kept, which damps the zig-zag of plain
        # subgradient steps (measured: the bound gets within a third of the distance).
        g_cap = capacity - usage + DEFLECTION * g_cap
        g_cap[(duals.capacity <= 0) & (g_cap > 0)] = 0.0
        g_bud = balance - spend + DEFLECTION * g_bud
        g_bud[(duals.budget <= 0) & (g_bud > 0)] = 0.0
        norm = float(np.sum(g_cap * g_cap) + np.sum(g_bud * g_bud))  # not BLAS: see pricing
        if norm <= 0:
            break  # no violated row and no slack priced row: nothing to move
        step = theta * max(priced.bound - lower, 0.0) / norm
        duals = Duals(np.maximum(duals.capacity - step * g_cap, 0.0),
                      np.maximum(duals.budget - step * g_bud, 0.0), duals.order, 0.0)
    return best, best_duals
