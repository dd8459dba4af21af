"""The ledger of an assignment: free GPUs per (offer, slot) and voucher balance left.

All bookkeeping is in integers (GPUs, fen), so a placement accepted here is exactly
feasible. Also the greedy placement used to build and to complete assignments.
"""

from __future__ import annotations

import numpy as np

from suanli.market.clearing.market import BoolArray, IntArray, Market


class Book:
    """Free capacity and budgets of an assignment ``order -> (pair, start)``."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self.free = np.repeat(market.capacity[:, None], market.n_slots, axis=1)
        self.left = market.balance.copy()
        self.assign: dict[int, tuple[int, int]] = {}

    def fits(self, pair: int, start: int) -> bool:
        """Whether the triple fits the free capacity and its voucher's balance."""
        m = self.m
        o = int(m.pair_order[pair])
        d, v = int(m.duration[o]), int(m.voucher[o])
        if v >= 0 and m.pair_subsidy[pair] > self.left[v]:
            return False
        run = self.free[m.pair_offer[pair], start:start + d]
        return bool(run.min() >= m.gpus[o])

    def place(self, pair: int, start: int) -> None:
        """Record a triple (the caller has checked that it fits)."""
        m = self.m
        o = int(m.pair_order[pair])
        self.free[m.pair_offer[pair], start:start + int(m.duration[o])] -= m.gpus[o]
        if m.voucher[o] >= 0:
            self.left[m.voucher[o]] -= m.pair_subsidy[pair]
        self.assign[o] = (pair, start)

    def remove(self, o: int) -> None:
        """Undo the placement of order ``o``."""
        m = self.m
        pair, start = self.assign.pop(o)
        self.free[m.pair_offer[pair], start:start + int(m.duration[o])] += m.gpus[o]
        if m.voucher[o] >= 0:
            self.left[m.voucher[o]] += m.pair_subsidy[pair]

    def placements(self, o: int, *, affordable: bool = True) -> tuple[IntArray, BoolArray]:
        """Pairs of order ``o`` and, per pair x start, whether it fits the free capacity.

        Returns ``(pairs, fit)`` with ``fit[i, j]`` for start ``first_start + j``, where
        ``first_start`` is the earliest start of any of these pairs. With
        ``affordable`` pairs the voucher cannot pay for are left out.
        """
        m = self.m
        pairs = np.arange(m.order_ptr[o], m.order_ptr[o + 1])
        v = int(m.voucher[o])
        if affordable and v >= 0 and len(pairs):
            pairs = pairs[m.pair_subsidy[pairs] <= self.left[v]]
        if not len(pairs):
            return pairs, np.zeros((0, 0), dtype=bool)
        d, g = int(m.duration[o]), int(m.gpus[o])
        lo, hi = int(m.pair_first[pairs].min()), int(m.pair_last[pairs].max())
        enough = self.free[m.pair_offer[pairs], lo:hi + d] >= g
        count = np.zeros((len(pairs), enough.shape[1] + 1), dtype=np.int32)
        np.cumsum(enough, axis=1, out=count[:, 1:])
        fit = (count[:, d:] - count[:, :-d]) == d
        starts = np.arange(lo, hi + 1)
        fit &= (starts[None, :] >= m.pair_first[pairs, None])
        fit &= (starts[None, :] <= m.pair_last[pairs, None])
        return pairs, fit

    def best_placement(self, o: int) -> tuple[int, int] | None:
        """The most valuable pair of ``o`` that fits somewhere, at its earliest fitting start."""
        pairs, fit = self.placements(o)
        if not len(pairs):
            return None
        ok = fit.any(axis=1)
        if not ok.any():
            return None
        values = np.where(ok, self.m.pair_value[pairs], -np.inf)
        i = int(np.argmax(values))
        start = int(self.m.pair_first[pairs].min()) + int(np.argmax(fit[i]))
        return int(pairs[i]), start

    def fill(self, orders: IntArray) -> int:
        """Place each order not yet placed, in the given sequence; returns how many were."""
        placed = 0
        for o in orders.tolist():
            if o in self.assign:
                continue
            found = self.best_placement(o)
            if found is not None:
                self.place(*found)
                placed += 1
        return placed

    def left_shift(self) -> None:
        """Move every match to its earliest start that still fits (same offer, value).

        Contracts then start as early as the optimum allows, whatever start the
        solver happened to pick among equal ones.
        """
        m = self.m
        for o in sorted(self.assign, key=lambda o: (self.assign[o][1], o)):
            pair, start = self.assign[o]
            self.remove(o)
            d, g, first = int(m.duration[o]), int(m.gpus[o]), int(m.pair_first[pair])
            enough = self.free[m.pair_offer[pair], first:start + d] >= g
            count = np.concatenate([[0], np.cumsum(enough)])
            fit = (count[d:] - count[:-d]) == d
            self.place(pair, first + int(np.argmax(fit)))

    def value(self) -> float:
        """The objective of the assignment (float, CNY)."""
        return float(sum(self.m.pair_value[p] for p, _ in self.assign.values()))


def greedy_sequence(m: Market, key: str) -> IntArray:
    """Orders by decreasing best value ("value") or value per GPU-slot ("density")."""
    best = np.full(m.n_orders, -np.inf)
    if len(m.pair_order):
        np.maximum.at(best, m.pair_order, m.pair_value)
    if key == "density":
        best = best / (m.gpus * m.duration)
    order: IntArray = np.lexsort((np.arange(m.n_orders), -best))
    out: IntArray = order[np.isfinite(best[order])]
    return out
