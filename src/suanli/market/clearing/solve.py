"""The optimiser: greedy, column generation, MIPs over chosen columns, a proof.

The model: a binary per feasible (order, offer, start) triple; rows "at most one
match per order", GPUs per (offer, slot) and subsidy (exact fen) per voucher;
maximise the value of the contract. Pairs that can never help (value <= 0, order
bigger than the offer, subsidy bigger than the whole voucher) are left out.

1. Greedy incumbents (most valuable orders first; densest first) on the exact
   integer ledger of ``book``; every later answer is re-placed on that ledger.
2. Column generation on the LP relaxation: a restricted master solved by HiGHS
   (dual simplex, hot-started), every triple priced in numpy chunks. Each round
   gives a Lagrangian bound valid for the whole problem, so the bound is proved
   even when the loop is stopped early.
3. The MIP over the LP's support and the incumbent (a few columns per order):
   quick, and most of the way from greedy to the optimum.
4. Price and branch: the MIP over every generated column (small masters only).
5. The proof: the MIP over every triple whose reduced-cost loss is below the gap
   between the bound and the incumbent (capped). A solution using any other triple
   is worth less than the incumbent, so the MIP's dual bound holds for the whole
   problem and, when HiGHS closes it, the optimum is proved.

Past ``LP_ORDERS`` orders (or ``LP_TRIPLES`` triples) the LP alone would take
minutes: the bound then comes from Lagrangian subgradient steps (``lagrange``), the
answer from rounding the triples those steps picked, improved by local search
(``improve``: insertions and moves to better pairs by ejecting and re-placing others),
or the greedy assignment when that is better.

Determinism: HiGHS runs single-threaded with a fixed seed, and every phase has a
deterministic effort limit (rounds, simplex iterations, nodes, column caps) chosen
from the size of the market; numpy sums never go through a threaded BLAS. The
wall-clock ``time_limit`` is only a safety net: if it bites, the answer is still
feasible and the bound still proved, but the answer may differ between runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from suanli.market.clearing.book import Book, greedy_sequence
from suanli.market.clearing.improve import improve
from suanli.market.clearing.lagrange import Guide, subgradient
from suanli.market.clearing.market import FloatArray, IntArray, Market
from suanli.market.clearing.master import Master
from suanli.market.clearing.pricing import Priced, near_optimal, price

log = logging.getLogger(__name__)
# Above these sizes the LP relaxation is too slow (it grows faster than linearly with
# the orders): Lagrangian bound, rounded and improved answer (`_lagrangian`).
LP_ORDERS = 1_200
LP_TRIPLES = 2_000_000
# Work on markets past those sizes, calibrated so that 10,000 orders x 1,000 offers x 168
# slots take under 50 s of CPU (one core): triples priced in all subgradient steps (66
# steps, about 14 s), at most this many steps, and local search moves per order (about
# 30 s).
PRICED_TRIPLES = 500_000_000
SUBGRADIENT_ROUNDS = 150
IMPROVE_PER_ORDER = 2


@dataclass(frozen=True)
class Effort:
    """Deterministic work limits; zero switches a phase off."""

    rounds: int  # column generation rounds
    per_order: int  # columns added per order and round
    initial_pairs: int  # best pairs per order in the first master
    lp_iterations: int
    support_columns: int  # the MIP over the LP's support, up to this many columns
    support_nodes: int
    mip_columns: int  # price and branch only up to this many generated columns
    mip_nodes: int
    proof_columns: int  # the proof MIP over near-optimal columns, at most this many
    proof_nodes: int
    subgradient_rounds: int  # bound for markets too big for the LP
    improve_attempts: int = 0  # local search moves on their rounded answer


@dataclass
class Outcome:
    """An exactly feasible assignment and a proved upper bound on the objective (CNY)."""

    book: Book
    bound: float


def triple_count(m: Market) -> int:
    """How many (order, offer, start) triples the market has."""
    return int((m.pair_last - m.pair_first + 1).sum())


def effort_for(m: Market) -> Effort:
    """Work limits for a market of this size (calibrated on a 2-core machine)."""
    triples = triple_count(m)
    orders = int(np.count_nonzero(np.diff(m.order_ptr)))
    if orders <= LP_ORDERS and triples <= LP_TRIPLES:
        # HiGHS's MIP root grows fast with the number of columns: past a few thousand
        # it alone takes minutes, so bigger masters keep the LP bound and rounding.
        return Effort(rounds=80, per_order=4, initial_pairs=4, lp_iterations=500_000,
                      support_columns=4_000, support_nodes=50, mip_columns=2_500,
                      mip_nodes=100, proof_columns=8_000, proof_nodes=30,
                      subgradient_rounds=0)
    rounds = int(min(SUBGRADIENT_ROUNDS, max(4, PRICED_TRIPLES // triples)))
    return Effort(rounds=0, per_order=0, initial_pairs=0, lp_iterations=0, support_columns=0,
                  support_nodes=0, mip_columns=0, mip_nodes=0, proof_columns=0,
                  proof_nodes=0, subgradient_rounds=rounds,
                  improve_attempts=IMPROVE_PER_ORDER * orders)


class _Clock:
    def __init__(self, limit: float | None) -> None:
        self.began, self.cpu = time.monotonic(), time.process_time()
        self.end = None if limit is None else self.began + limit

    def left(self, share: float = 1.0) -> float | None:
        """Seconds left, times ``share``; None without a limit."""
        if self.end is None:
            return None
        return max(0.0, (self.end - time.monotonic()) * share)

    def log(self, phase: str, *values: object) -> None:
        """Debug log of a phase: wall and CPU seconds so far, and what it found."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: %.2fs wall %.2fs cpu %s", phase, time.monotonic() - self.began,
                      time.process_time() - self.cpu, values)

    def out(self) -> bool:
        return self.end is not None and time.monotonic() >= self.end


def optimise(m: Market, time_limit: float | None = None) -> Outcome:
    """The best assignment found for a market of positive-value pairs, with a proved bound."""
    clock = _Clock(time_limit)
    incumbent = _greedy(m)
    if not len(m.pair_order):
        return Outcome(incumbent, 0.0)
    effort = effort_for(m)
    clock.log("greedy", incumbent.value(), effort)
    if effort.rounds <= 0:
        return _lagrangian(m, incumbent, effort, clock)
    master = Master(m)
    master.add(*_initial_columns(m, incumbent, effort.initial_pairs))
    priced, x, bound = _column_generation(m, master, effort, clock)
    incumbent = _better(incumbent, _round_lp(m, master, x))
    clock.log("column generation", bound, master.n_cols, incumbent.value())
    incumbent = _support_mip(m, master, x, incumbent, effort, clock)
    clock.log("support", incumbent.value())
    if master.n_cols > effort.mip_columns or clock.out():
        return Outcome(incumbent, bound)
    # Price and branch: the MIP over the generated columns finds a good assignment fast.
    incumbent, _ = _mip(m, master, incumbent, clock, effort.mip_nodes, gap=1e-5)
    clock.log("price and branch", incumbent.value())
    if effort.proof_nodes <= 0 or clock.out():
        return Outcome(incumbent, bound)
    delta = max(priced.bound - incumbent.value(), 0.0) + 1e-6
    pairs, starts, cut = near_optimal(m, priced.duals, priced.best, delta, effort.proof_columns)
    master.add(pairs, starts)
    # Restarts re-run the (costly) root; the proof gets a few nodes, so it does without.
    incumbent, mip_bound = _mip(m, master, incumbent, clock, effort.proof_nodes, restarts=False)
    # A solution using a column left out is worth at most priced.bound - cut.
    bound = min(bound, max(mip_bound, priced.bound - cut, incumbent.value()))
    clock.log("proof", master.n_cols, incumbent.value(), bound)
    return Outcome(incumbent, bound)


def _lagrangian(m: Market, incumbent: Book, effort: Effort, clock: _Clock) -> Outcome:
    """Markets too big for the LP: the subgradient bound, and its picks rounded and
    improved by local search."""
    guide = Guide()
    bound, _ = subgradient(m, incumbent.value(), effort.subgradient_rounds, clock.out, guide)
    clock.log("subgradient", bound)
    rounded = guide.rounding(m)
    improve(rounded, greedy_sequence(m, "value"), effort.improve_attempts, clock.out)
    clock.log("local search", rounded.value())
    incumbent = _better(incumbent, rounded)
    return Outcome(incumbent, max(bound, incumbent.value()))


def _support_mip(m: Market, master: Master, x: FloatArray, incumbent: Book, effort: Effort,
                 clock: _Clock) -> Book:
    """The MIP over the LP's support and the incumbent: small, quick and good."""
    support = np.flatnonzero(x > 1e-6)
    pairs, starts = _triples(incumbent)
    if len(support) + len(pairs) > effort.support_columns or clock.out():
        return incumbent
    small = Master(m)
    small.add(np.concatenate([master.col_pair[support], pairs]),
              np.concatenate([master.col_start[support], starts]))
    return _mip(m, small, incumbent, clock, effort.support_nodes, gap=1e-4)[0]


def _better(a: Book, b: Book) -> Book:
    return b if b.value() > a.value() + 1e-9 else a


def _mip(m: Market, master: Master, incumbent: Book, clock: _Clock, nodes: int,
         gap: float = 1e-7, restarts: bool = True) -> tuple[Book, float]:
    """Solve the master's columns as a MIP from the incumbent; the better book and the bound."""
    master.add(*_triples(incumbent))
    start = [c for p, s in incumbent.assign.values() if (c := master.column(p, s)) is not None]
    solution, mip_bound = master.solve_mip(start, clock.left(), nodes, gap, restarts)
    return _better(incumbent, _from_columns(m, master, solution)), mip_bound


def _greedy(m: Market) -> Book:
    """The better of two greedy assignments (by value, by value density)."""
    best: Book | None = None
    for key in ("value", "density"):
        book = Book(m)
        book.fill(greedy_sequence(m, key))
        if best is None or book.value() > best.value():
            best = book
    assert best is not None
    return best


def _triples(book: Book) -> tuple[IntArray, IntArray]:
    items = sorted(book.assign.values())
    return (np.asarray([p for p, _ in items], dtype=np.int64),
            np.asarray([s for _, s in items], dtype=np.int64))


def _initial_columns(m: Market, book: Book, per_order: int) -> tuple[IntArray, IntArray]:
    """The incumbent's triples and, per order, its best pairs at their first and last start."""
    pairs, starts = _triples(book)
    ranked = np.lexsort((-m.pair_value, m.pair_order))
    rank = np.arange(len(ranked)) - m.order_ptr[m.pair_order[ranked]]
    top = ranked[rank < per_order]
    return (np.concatenate([pairs, top, top]),
            np.concatenate([starts, m.pair_first[top], m.pair_last[top]]))


def _column_generation(m: Market, master: Master, effort: Effort, clock: _Clock) -> (
    tuple[Priced, FloatArray, float]
):
    """Grow the master until no triple prices out; the last pricing and the best bound."""
    bound = float("inf")
    priced: Priced | None = None
    x = np.zeros(0)
    for _ in range(effort.rounds):
        x, duals = master.solve_lp(clock.left(0.5), effort.lp_iterations)
        priced = price(m, duals, effort.per_order)
        bound = min(bound, priced.bound)
        if not len(priced.new_pairs) or clock.out():
            break
        master.add(priced.new_pairs, priced.new_starts)
    assert priced is not None
    return priced, x, bound


def _place_columns(m: Market, master: Master, columns: IntArray) -> Book:
    """Place the given columns in sequence where they fit, then complete greedily."""
    book = Book(m)
    for c in columns.tolist():
        pair, start = int(master.col_pair[c]), int(master.col_start[c])
        if int(m.pair_order[pair]) not in book.assign and book.fits(pair, start):
            book.place(pair, start)
    book.fill(greedy_sequence(m, "value"))
    return book


def _round_lp(m: Market, master: Master, x: FloatArray) -> Book:
    """Round the LP: columns by decreasing LP value, then by value."""
    used = np.nonzero(x > 1e-6)[0]
    value = m.pair_value[master.col_pair[used]]
    return _place_columns(m, master, used[np.lexsort((used, -value, -np.round(x[used], 6)))])


def _from_columns(m: Market, master: Master, x: FloatArray) -> Book:
    """The MIP's chosen columns, most valuable first, re-checked on the ledger."""
    used = np.nonzero(x > 0.5)[0]
    value = m.pair_value[master.col_pair[used]]
    return _place_columns(m, master, used[np.lexsort((used, -value))])


def shadow_prices(m: Market) -> FloatArray:
    """Capacity prices per (offer, slot), CNY per GPU-slot, from the LP relaxation
    (column generation), or from the Lagrangian steps for markets too big for it."""
    if not len(m.pair_order):
        return np.zeros(m.n_offers * m.n_slots)
    effort = effort_for(m)
    incumbent = _greedy(m)
    if effort.rounds <= 0:
        # Prices need fewer steps than a tight bound: a page waits for them.
        _, duals = subgradient(m, incumbent.value(), min(effort.subgradient_rounds, 40))
        return duals.capacity
    master = Master(m)
    master.add(*_initial_columns(m, incumbent, effort.initial_pairs))
    priced, _, _ = _column_generation(m, master, effort, _Clock(None))
    return priced.duals.capacity
