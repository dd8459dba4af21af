"""Pricing of every (order, offer, start) triple against dual prices.

For non-negative capacity prices ``lam`` and budget prices ``mu``, the Lagrangian
bound ``L = sum lam * capacity + sum mu * balance + sum_o max(0, best_o)``, where
``best_o`` is the best ``value - mu * subsidy - gpus * (lam summed over the run)``
of order o, bounds the objective of every feasible assignment from above; this
holds for any such prices, so it is a proved bound even when the LP was stopped
early. A solution that uses a triple whose ``loss = max(0, best_o) - score`` is at
least ``delta`` is worth at most ``L - delta``: that is how columns are left out
of the MIP without losing the proof.

Triples are never all held in memory: pairs are expanded in chunks (numpy).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from suanli.market.clearing.market import FloatArray, IntArray, Market
from suanli.market.clearing.master import Duals

CHUNK_TRIPLES = 1_500_000
SUBSIDY_SLACK_FEN = 0.5  # the float subsidy may differ from the exact one by < 0.5 fen


@dataclass
class Priced:
    """The outcome of pricing all triples."""

    bound: float  # Lagrangian upper bound, CNY
    best: FloatArray  # per order: max(0, best score)
    best_pair: IntArray  # per order: the pair of its best triple, -1 when none scores > 0
    best_start: IntArray
    new_pairs: IntArray  # columns worth adding (positive reduced cost)
    new_starts: IntArray
    duals: Duals


def _chunks(m: Market) -> Iterator[tuple[int, int]]:
    """Pair ranges aligned to whole orders, each expanding to about CHUNK_TRIPLES triples."""
    span = m.pair_last - m.pair_first + 1
    total = np.cumsum(np.bincount(m.pair_order, weights=span, minlength=m.n_orders))
    o = 0
    while o < m.n_orders:
        done = total[o - 1] if o else 0
        stop = int(np.searchsorted(total, done + CHUNK_TRIPLES, side="right"))
        stop = max(stop, o + 1)
        yield int(m.order_ptr[o]), int(m.order_ptr[min(stop, m.n_orders)])
        o = stop


def expand(m: Market, a: int, b: int) -> tuple[IntArray, IntArray]:
    """All (pair, start) triples of pairs ``a:b``."""
    span = m.pair_last[a:b] - m.pair_first[a:b] + 1
    pair = np.repeat(np.arange(a, b), span)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(span) - span, span)
    return pair, m.pair_first[pair] + offset


def scores(m: Market, duals: Duals, pair: IntArray, start: IntArray) -> FloatArray:
    """Value less the priced use of capacity and budget, of each triple (CNY)."""
    slots = m.n_slots
    prefix = np.zeros((m.n_offers, slots + 1))
    np.cumsum(duals.capacity.reshape(m.n_offers, slots), axis=1, out=prefix[:, 1:])
    flat = prefix.ravel()
    order = m.pair_order[pair]
    base = m.pair_offer[pair] * (slots + 1) + start
    run = flat[base + m.duration[order]] - flat[base]
    mu = np.append(duals.budget, 0.0)[m.voucher[order]]  # index -1 (no voucher): price 0
    sub = np.maximum(m.pair_subsidy[pair] - SUBSIDY_SLACK_FEN, 0.0) / 100.0
    out: FloatArray = m.pair_value[pair] - mu * sub - m.gpus[order] * run
    return out


def price(m: Market, duals: Duals, per_order: int, tol: float = 1e-7) -> Priced:
    """Price all triples: the Lagrangian bound and the columns to add."""
    best = np.zeros(m.n_orders)
    best_pair = np.full(m.n_orders, -1, dtype=np.int64)
    best_start = np.zeros(m.n_orders, dtype=np.int64)
    new_p: list[IntArray] = []
    new_s: list[IntArray] = []
    for a, b in _chunks(m):
        pair, start = expand(m, a, b)
        if not len(pair):
            continue
        score = scores(m, duals, pair, start)
        order = m.pair_order[pair]
        orders, top = _group_argmax(order, score)
        better = score[top] > best[orders]
        best[orders[better]] = score[top[better]]
        best_pair[orders[better]] = pair[top[better]]
        best_start[orders[better]] = start[top[better]]
        if per_order <= 0:
            continue
        reduced = score - duals.order[order]
        keep = np.nonzero(reduced > tol * np.maximum(1.0, np.abs(m.pair_value[pair])))[0]
        if len(keep):
            chosen = _top_per_group(order[keep], -reduced[keep], per_order)
            new_p.append(pair[keep][chosen])
            new_s.append(start[keep][chosen])
    # Sums, not BLAS dot products: a threaded BLAS may add in any order, and the bound
    # must come out the same, to the last bit, on every run.
    capacity_value = float(np.sum(duals.capacity * np.repeat(m.capacity, m.n_slots)))
    budget_value = float(np.sum(duals.budget * (m.balance / 100.0)))
    bound = capacity_value + budget_value + float(best.sum())
    empty = np.zeros(0, dtype=np.int64)
    return Priced(bound, best, best_pair, best_start, np.concatenate(new_p) if new_p else empty,
                  np.concatenate(new_s) if new_s else empty, duals)


def _group_argmax(group: IntArray, score: FloatArray) -> tuple[IntArray, IntArray]:
    """Per run of equal ``group`` values (groups are contiguous): the group and the
    index of its first maximal score."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    top = np.maximum.reduceat(score, starts)
    size = np.diff(np.r_[starts, len(group)])
    hit = np.flatnonzero(score == np.repeat(top, size))
    first = np.searchsorted(hit, starts)
    return group[starts], hit[first]


def _top_per_group(group: IntArray, key: FloatArray, limit: int) -> IntArray:
    """Indices of the ``limit`` smallest keys in each group (stable, deterministic)."""
    order = np.lexsort((key, group))
    g = group[order]
    first = np.searchsorted(g, g, side="left")
    rank = np.arange(len(g)) - first
    out: IntArray = np.sort(order[rank < limit])
    return out


def near_optimal(m: Market, duals: Duals, best: FloatArray, delta: float, limit: int) -> (
    tuple[IntArray, IntArray, float]
):
    """Triples whose loss is below ``delta``, at most ``limit`` of them (smallest losses).

    Returns the pairs, starts and a lower bound on the loss of every triple left out:
    ``delta`` when all triples below it fit, else the smallest loss left out.
    """
    pairs: list[IntArray] = []
    starts: list[IntArray] = []
    losses: list[FloatArray] = []
    for a, b in _chunks(m):
        pair, start = expand(m, a, b)
        loss = best[m.pair_order[pair]] - scores(m, duals, pair, start)
        keep = loss < delta
        pairs.append(pair[keep])
        starts.append(start[keep])
        losses.append(loss[keep])
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), delta
    pair, start, loss = np.concatenate(pairs), np.concatenate(starts), np.concatenate(losses)
    if len(pair) <= limit:
        return pair, start, delta
    order = np.lexsort((start, pair, loss))
    cut = float(loss[order[limit]])
    keep = np.sort(order[:limit])
    return pair[keep], start[keep], cut
