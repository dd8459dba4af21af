"""The first-come-first-served broker: the baseline the optimiser is measured against.

Orders are served in the snapshot's list order; each takes the first offer in the
snapshot's list order, at the earliest start, that passes rules 1-5 and still has
the capacity and the voucher balance for it. It ignores value, so it will also
make matches of negative value.
"""

from __future__ import annotations

import numpy as np

from suanli.market.clearing.book import Book
from suanli.market.clearing.market import Market


def first_come_first_served(m: Market) -> Book:
    """The FCFS assignment of a market holding all rule 1-5 pairs (pairs sorted by offer)."""
    book = Book(m)
    for o in range(m.n_orders):
        pairs, fit = book.placements(o)
        rows = np.nonzero(fit.any(axis=1))[0]
        if not len(rows):
            continue
        i = int(rows[0])  # pairs of an order are in offer list order
        start = int(m.pair_first[pairs].min()) + int(np.argmax(fit[i]))
        book.place(int(pairs[i]), start)
    return book


def best_value_in_order(m: Market) -> Book:
    """The greedy broker: each order in list (id) order takes its most valuable pair that
    still fits, at the earliest start it fits; a market of positive pairs (``positive``),
    so it never makes a match of negative value."""
    book = Book(m)
    book.fill(np.arange(m.n_orders, dtype=np.int64))
    return book
