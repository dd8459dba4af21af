"""Local search on an assignment: insert an unmatched order by ejecting cheaper ones.

For an unmatched order, every (pair, start) is scored by its shortfall: the GPU-slots
that would have to be freed for it to fit. On the few with the smallest shortfall the
matched orders overlapping the window are ejected, least valuable per GPU-slot first,
until it fits; when what they are worth is less than the order, the order goes in, the
ejected orders are re-placed wherever they fit, and the move is kept if the objective
rose (else it is undone exactly). A pass also moves each matched order to its most
valuable pair that fits. Everything is on the integer ledger of ``book``, so every
state is exactly feasible; the work is bounded by a count of attempts, so the result is
deterministic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from suanli.market.clearing.book import Book
from suanli.market.clearing.market import IntArray

CANDIDATES = 8  # windows tried per order and attempt
DEPTH = 1  # an ejected order with no room left may itself eject others, this deep
EPS = 1e-6  # CNY: a move must gain more than this


class Improver:
    """Ejection moves on a book, keeping the matched orders of each offer at hand."""

    def __init__(self, book: Book) -> None:
        self.book = book
        m = book.m
        self.on_offer: list[set[int]] = [set() for _ in range(m.n_offers)]
        self.on_voucher: list[set[int]] = [set() for _ in range(len(m.balance))]
        self.journal: list[tuple[bool, int, int]] = []  # (placed?, pair, start), to undo
        for o, (pair, _) in book.assign.items():
            self.on_offer[int(m.pair_offer[pair])].add(o)
            if m.voucher[o] >= 0:
                self.on_voucher[int(m.voucher[o])].add(o)

    def _place(self, pair: int, start: int) -> None:
        m = self.book.m
        self.book.place(pair, start)
        self.journal.append((True, pair, start))
        o = int(m.pair_order[pair])
        self.on_offer[int(m.pair_offer[pair])].add(o)
        if m.voucher[o] >= 0:
            self.on_voucher[int(m.voucher[o])].add(o)

    def _remove(self, o: int) -> tuple[int, int]:
        m = self.book.m
        pair, start = self.book.assign[o]
        self.book.remove(o)
        self.journal.append((False, pair, start))
        self.on_offer[int(m.pair_offer[pair])].discard(o)
        if m.voucher[o] >= 0:
            self.on_voucher[int(m.voucher[o])].discard(o)
        return pair, start

    def _undo(self, mark: int) -> None:
        """Undo every placement and removal since ``len(self.journal)`` was ``mark``."""
        while len(self.journal) > mark:
            placed, pair, start = self.journal.pop()
            if placed:
                self._remove(int(self.book.m.pair_order[pair]))
            else:
                self._place(pair, start)
            self.journal.pop()  # the entry the undoing itself wrote

    def value_of(self, o: int) -> float:
        return float(self.book.m.pair_value[self.book.assign[o][0]])

    def upgrade(self, orders: IntArray) -> int:
        """Move each matched order to its most valuable pair that fits; how many moved."""
        moved = 0
        for o in orders.tolist():
            if o not in self.book.assign:
                continue
            old = self._remove(o)
            found = self.book.best_placement(o)
            assert found is not None  # its old place is free again
            self._place(*found)
            moved += found[0] != old[0]
        return moved

    def windows(self, o: int, floor: float = 0.0) -> list[tuple[int, int]]:
        """The (pair, start) windows of ``o`` worth more than ``floor`` with the smallest
        shortfall, best first."""
        book, m = self.book, self.book.m
        pairs = np.arange(m.order_ptr[o], m.order_ptr[o + 1])
        pairs = pairs[m.pair_value[pairs] > floor + EPS]
        if not len(pairs):
            return []
        d, g = int(m.duration[o]), int(m.gpus[o])
        lo, hi = int(m.pair_first[pairs].min()), int(m.pair_last[pairs].max())
        short = np.maximum(g - book.free[m.pair_offer[pairs], lo:hi + d], 0)
        total = np.zeros((len(pairs), short.shape[1] + 1), dtype=np.int64)
        np.cumsum(short, axis=1, out=total[:, 1:])
        need = (total[:, d:] - total[:, :-d]).astype(float)
        starts = np.arange(lo, hi + 1)
        bad = (starts[None, :] < m.pair_first[pairs, None]) | (
            starts[None, :] > m.pair_last[pairs, None])
        # Shortfall first, then the more valuable pair, then the earlier start.
        need[bad] = np.inf
        key = need - m.pair_value[pairs, None] * 1e-9
        flat = np.argsort(key, axis=None, kind="stable")[:CANDIDATES]
        rows, cols = np.unravel_index(flat, key.shape)
        return [(int(pairs[r]), lo + int(c)) for r, c in zip(rows, cols, strict=True)
                if np.isfinite(need[r, c])]

    def ejection(self, pair: int, start: int) -> tuple[list[int], float] | None:
        """The matched orders to eject so that ``(pair, start)`` fits, and their value;
        None when ejecting every overlapping order would not be enough."""
        book, m = self.book, self.book.m
        o = int(m.pair_order[pair])
        k, d, g = int(m.pair_offer[pair]), int(m.duration[o]), int(m.gpus[o])
        need = g - book.free[k, start:start + d]
        chosen: list[int] = []
        if need.max() > 0:
            victims = self._capacity_victims(k, start, need.copy())
            if victims is None:
                return None
            chosen.extend(victims)
        v = int(m.voucher[o])
        if v >= 0:
            short = int(m.pair_subsidy[pair]) - int(book.left[v]) - sum(
                int(m.pair_subsidy[book.assign[q][0]]) for q in chosen if m.voucher[q] == v)
            if short > 0:
                victims = self._budget_victims(v, short, set(chosen))
                if victims is None:
                    return None
                chosen.extend(victims)
        return chosen, sum(self.value_of(q) for q in chosen)

    def _budget_victims(self, v: int, short: int, taken: set[int]) -> list[int] | None:
        """Orders of voucher ``v`` whose subsidies free ``short`` fen, the least valuable
        per fen first; None when all of them would not."""
        m, book = self.book.m, self.book
        ranked = sorted((self.value_of(q) / max(int(m.pair_subsidy[book.assign[q][0]]), 1), q)
                        for q in self.on_voucher[v] if q not in taken)
        chosen = []
        for _, q in ranked:
            freed = int(m.pair_subsidy[book.assign[q][0]])
            if freed <= 0:
                continue
            chosen.append(q)
            short -= freed
            if short <= 0:
                return chosen
        return None

    def _capacity_victims(self, k: int, start: int, need: IntArray) -> list[int] | None:
        """Orders on offer ``k`` to eject so that ``need`` (GPUs short per slot from
        ``start``) is met, the least valuable per GPU-slot first; None when all would not."""
        book, m = self.book, self.book.m
        d = len(need)
        overlapping = []
        for q in self.on_offer[k]:
            s = book.assign[q][1]
            if s < start + d and s + int(m.duration[q]) > start:
                overlapping.append((self.value_of(q) / float(m.gpus[q] * m.duration[q]), q))
        chosen: list[int] = []
        for _, q in sorted(overlapping):
            s = book.assign[q][1]
            a, b = max(s, start) - start, min(s + int(m.duration[q]), start + d) - start
            if need[a:b].max() <= 0:
                continue  # frees nothing that is short
            need[a:b] -= m.gpus[q]
            chosen.append(q)
            if need.max() <= 0:
                break
        return None if need.max() > 0 else chosen

    def try_insert(self, o: int, floor: float = 0.0, depth: int = 0) -> float:
        """Insert unmatched ``o`` by the cheapest ejection among its best windows; the gain
        over ``floor`` (0 when no move gained, and then nothing changed)."""
        m = self.book.m
        moves: list[tuple[float, int, int, list[int]]] = []
        for pair, start in self.windows(o, floor):
            found = self.ejection(pair, start)
            if found is not None:
                # Ejected orders may find room elsewhere: try even moves that lose at first.
                moves.append((float(m.pair_value[pair]) - found[1] - floor, pair, start,
                              found[0]))
        for _, pair, start, ejected in sorted(moves, key=lambda x: -x[0]):
            gain = self._apply(pair, start, ejected, floor, depth)
            if gain > 0.0:
                return gain
        return 0.0

    def try_relocate(self, o: int) -> float:
        """Move matched ``o`` to a more valuable pair, ejecting and re-placing others; the
        gain (0 when none, and then nothing changed)."""
        old = self._remove(o)
        gain = self.try_insert(o, float(self.book.m.pair_value[old[0]]))
        if gain <= 0.0:
            self._place(*old)
        return gain

    def _apply(self, pair: int, start: int, ejected: list[int], floor: float,
               depth: int) -> float:
        book, m = self.book, self.book.m
        mark = len(self.journal)
        old = {q: self._remove(q) for q in ejected}
        if not book.fits(pair, start):  # a voucher the ejected orders did not pay from
            self._undo(mark)
            return 0.0
        self._place(pair, start)
        gain = float(m.pair_value[pair]) - floor
        for q in sorted(ejected, key=lambda q: (-float(m.pair_value[old[q][0]]), q)):
            gain -= float(m.pair_value[old[q][0]])
            found = book.best_placement(q)
            if found is not None:
                self._place(*found)
                gain += float(m.pair_value[found[0]])
            elif depth < DEPTH:
                gain += self.try_insert(q, 0.0, depth + 1)
        if gain > EPS:
            return gain
        self._undo(mark)
        return 0.0


def improve(book: Book, sequence: IntArray, attempts: int,
            stop: Callable[[], bool] = lambda: False) -> int:
    """Passes over ``sequence``: each unmatched order is inserted, each matched one moved
    to a better pair, by ejection, until a pass gains nothing or ``attempts`` moves were
    tried (or ``stop()``); returns how many were tried."""
    improver = Improver(book)
    tried = 0
    while tried < attempts and not stop():
        gained = 0.0
        for o in sequence.tolist():
            improver.journal.clear()
            if o in book.assign:
                gained += improver.try_relocate(o)
            else:
                gained += improver.try_insert(o)
            tried += 1
            if tried >= attempts or (tried % 64 == 0 and stop()):
                break
        improver.upgrade(sequence)
        book.fill(sequence)
        if gained <= EPS:
            break
    return tried
