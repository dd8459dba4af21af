"""The optimisation model over a set of columns, held in one HiGHS instance.

A column is one (pair, start) triple: order o on offer k from slot s. Rows:
one "at most one" row per order, one capacity row per (offer, slot) that some
column runs in, and one subsidy-budget row per voucher (in CNY; answers are re-checked
in integer fen on the ledger of ``book``).
Columns are added between LP solves so HiGHS hot-starts from the last basis
(column generation); the same instance is then switched to binaries for the MIP.

HiGHS runs single-threaded with a fixed random seed, so its answers depend on the
model and the effort limits alone; wall-clock limits are only a safety net.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np

from suanli.market.clearing.market import FloatArray, IntArray, Market

INF = highspy.kHighsInf
COLWISE = 1


@dataclass
class Duals:
    """Non-negative dual prices of the rows of the last LP solve."""

    capacity: FloatArray  # per offer x slot (dense, zero where there is no row)
    budget: FloatArray  # per voucher, CNY per CNY of subsidy
    order: FloatArray  # per order
    objective: float


_banner_shown = False


def _first_highs() -> highspy.Highs:
    """The first HiGHS instance of a process prints a banner on the C-level standard
    output, which would corrupt a result written there: silence it, once."""
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output at all: nothing to protect
        _banner_shown = True
        return highspy.Highs()  # type: ignore[no-untyped-call]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _banner_shown = True
    return h


def new_highs(seconds: float | None) -> highspy.Highs:
    """A quiet, single-threaded, seeded HiGHS instance."""
    h = _first_highs()
    log = os.environ.get("SUANLI_HIGHS_LOG") == "1"  # solver log on stdout, for tuning
    for name, value in (("output_flag", log), ("threads", 1), ("parallel", "off"),
                        ("random_seed", 0), ("mip_detect_symmetry", True)):
        h.setOptionValue(name, value)
    if seconds is not None:
        h.setOptionValue("time_limit", max(seconds, 0.01))
    return h


def _values(values: object, n: int) -> FloatArray:
    """A solution vector, zeros when HiGHS did not return one of the right length."""
    x = np.asarray(values, dtype=float)
    return x if x.shape == (n,) else np.zeros(n)


class Master:
    """Columns, rows and the HiGHS model of a restricted master problem."""

    def __init__(self, market: Market) -> None:
        self.m = market
        s = market.n_slots
        self.cap_row = np.full(market.n_offers * s, -1, dtype=np.int64)
        self.row_cap_key: list[int] = []
        self.n_orders = market.n_orders
        self.n_vouchers = len(market.balance)
        self.col_pair = np.zeros(0, dtype=np.int64)
        self.col_start = np.zeros(0, dtype=np.int64)
        self.index: dict[int, int] = {}  # column key -> column
        self.h = new_highs(None)
        self._init_rows()

    @property
    def n_cols(self) -> int:
        return len(self.col_pair)

    def _init_rows(self) -> None:
        m = self.m
        n = self.n_orders + self.n_vouchers
        upper = np.concatenate([np.ones(self.n_orders), m.balance / 100.0])
        self.h.passModel(0, n, 0, COLWISE, -1, 0.0, np.zeros(0), np.zeros(0), np.zeros(0),
                         np.full(n, -INF), upper, np.zeros(1, dtype=np.int32),
                         np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0, dtype=np.int32))

    def add(self, pairs: IntArray, starts: IntArray) -> int:
        """Add the columns not yet present; returns how many were added."""
        m, slots = self.m, self.m.n_slots
        keys = pairs * (slots + 1) + starts
        fresh = [i for i, key in enumerate(keys.tolist()) if key not in self.index]
        if not fresh:
            return 0
        pairs, starts = pairs[fresh], starts[fresh]
        _, first = np.unique(keys[fresh], return_index=True)
        pairs, starts = pairs[np.sort(first)], starts[np.sort(first)]
        base = self.n_cols
        for i, key in enumerate((pairs * (slots + 1) + starts).tolist()):
            self.index[key] = base + i
        order = m.pair_order[pairs]
        dur = m.duration[order]
        col = np.repeat(np.arange(len(pairs)), dur)
        offset = np.arange(len(col)) - np.repeat(np.cumsum(dur) - dur, dur)
        cap_keys = m.pair_offer[pairs][col] * slots + starts[col] + offset
        self._ensure_cap_rows(cap_keys)
        sub = m.pair_subsidy[pairs]
        vouch = m.voucher[order]
        has_budget = (vouch >= 0) & (sub > 0)
        rows = [order, self.cap_row[cap_keys], self.n_orders + vouch[has_budget]]
        cols = [np.arange(len(pairs)), col, np.nonzero(has_budget)[0]]
        vals = [np.ones(len(pairs)), m.gpus[order][col].astype(float), sub[has_budget] / 100.0]
        self._add_cols(pairs, np.concatenate(cols), np.concatenate(rows), np.concatenate(vals))
        self.col_pair = np.concatenate([self.col_pair, pairs])
        self.col_start = np.concatenate([self.col_start, starts])
        return len(pairs)

    def _ensure_cap_rows(self, keys: IntArray) -> None:
        missing = np.unique(keys[self.cap_row[keys] < 0])
        if not len(missing):
            return
        base = self.h.getNumRow()
        self.cap_row[missing] = base + np.arange(len(missing))
        self.row_cap_key.extend(missing.tolist())
        upper = self.m.capacity[missing // self.m.n_slots].astype(float)
        self.h.addRows(len(missing), np.full(len(missing), -INF), upper, 0,
                       np.zeros(len(missing), dtype=np.int32), np.zeros(0, dtype=np.int32),
                       np.zeros(0))

    def _add_cols(self, pairs: IntArray, cols: IntArray, rows: IntArray, vals: FloatArray) -> None:
        order = np.lexsort((rows, cols))
        cols, rows, vals = cols[order], rows[order], vals[order]
        starts = np.searchsorted(cols, np.arange(len(pairs))).astype(np.int32)
        n = len(pairs)
        self.h.addCols(n, self.m.pair_value[pairs], np.zeros(n), np.ones(n), len(rows),
                       starts, rows.astype(np.int32), vals)

    def column(self, pair: int, start: int) -> int | None:
        """The column of a triple, None when it is not in the model."""
        return self.index.get(pair * (self.m.n_slots + 1) + start)

    def solve_lp(self, seconds: float | None, iterations: int) -> tuple[FloatArray, Duals]:
        """Solve the LP relaxation (hot start); returns column values and row duals."""
        h = self.h
        h.setOptionValue("time_limit", INF if seconds is None else max(seconds, 0.01))
        h.setOptionValue("simplex_iteration_limit", iterations)
        h.setOptionValue("solver", "simplex")
        h.run()
        sol = h.getSolution()
        x = _values(sol.col_value, self.n_cols)
        # Any non-negative prices give a valid bound, so clean up whatever came back.
        dual = np.maximum(np.nan_to_num(_values(sol.row_dual, h.getNumRow())), 0.0)
        cap = np.zeros(self.m.n_offers * self.m.n_slots)
        if self.row_cap_key:
            cap[np.asarray(self.row_cap_key)] = dual[self.n_orders + self.n_vouchers:]
        duals = Duals(cap, dual[self.n_orders:self.n_orders + self.n_vouchers],
                      dual[:self.n_orders], float(h.getInfo().objective_function_value))
        return x, duals

    def solve_mip(self, start: list[int], seconds: float | None, nodes: int,
                  gap: float = 1e-7, restarts: bool = True) -> tuple[FloatArray, float]:
        """Solve over the columns as binaries from a start; returns values and dual bound."""
        h = self.h
        n = self.n_cols
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
        for name, value in (("mip_max_nodes", nodes), ("mip_rel_gap", gap),
                            ("mip_allow_restart", restarts),
                            ("mip_abs_gap", 1e-4), ("simplex_iteration_limit", 2**31 - 1),
                            ("time_limit", INF if seconds is None else max(seconds, 0.01))):
            h.setOptionValue(name, value)
        if start:
            values = np.zeros(n)
            values[start] = 1.0
            sol = highspy.HighsSolution()
            sol.col_value = values
            h.setSolution(sol)
        h.run()
        bound = float(h.getInfo().mip_dual_bound)
        x = _values(h.getSolution().col_value, n)
        return x, bound if np.isfinite(bound) else float("inf")
