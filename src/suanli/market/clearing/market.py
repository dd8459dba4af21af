"""The snapshot as numpy arrays, and every useful (order, offer) pair, computed in bulk.

Rules 1-5 are evaluated for all orders x offers in chunks of orders, in integer
arithmetic where the contract demands exactness: rule 5 compares the ask in fen
with ``floor(limit / (1 - r))`` computed with exact fractions, and the subsidy of a
pair is rounded half-even in integers. Values (the objective) are floats: they only
steer the optimiser; reported money is recomputed exactly by ``rules``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from suanli.market.clearing.snapshot import OPERATORS, Snapshot

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NO_RATE = 4  # rate class of a pair with r = 0 (no voucher, or provider not allowed)
CHUNK = 256
INT64_SAFE = 2**62
MIN_VALUE = 1e-9  # CNY; a pair worth less is treated as worthless


@dataclass
class Market:
    """Arrays of a snapshot; pairs are the (order, offer) matches allowed by rules 1-5."""

    snap: Snapshot
    gpus: IntArray  # per order
    duration: IntArray
    earliest: IntArray
    latest_end: IntArray
    voucher: IntArray  # voucher index, -1 without
    capacity: IntArray  # per offer
    balance: IntArray  # per voucher, fen
    has_compatible: BoolArray  # per order: some offer passes rules 1-3
    has_within_limit: BoolArray  # per order: some offer passes rules 1-5
    pair_order: IntArray
    pair_offer: IntArray
    pair_value: FloatArray  # CNY, may be <= 0 (then the solver leaves the pair out)
    pair_subsidy: IntArray  # fen, exact
    pair_first: IntArray  # first allowed start
    pair_last: IntArray  # last allowed start
    order_ptr: IntArray  # pairs of order o are order_ptr[o]:order_ptr[o + 1]

    def subset(self, keep: BoolArray) -> Market:
        """The same market with only the pairs where ``keep`` is true."""
        out = replace(self, pair_order=self.pair_order[keep], pair_offer=self.pair_offer[keep],
                      pair_value=self.pair_value[keep], pair_subsidy=self.pair_subsidy[keep],
                      pair_first=self.pair_first[keep], pair_last=self.pair_last[keep])
        out.order_ptr = np.searchsorted(out.pair_order, np.arange(self.n_orders + 1))
        return out

    def positive(self) -> Market:
        """Only pairs that can be matched with profit: positive value, the order no
        bigger than the offer and the subsidy no bigger than the whole voucher.

        The pairs dropped could never be matched; leaving them in would let the LP
        relaxation use them fractionally and make it much weaker.
        """
        fits = self.gpus[self.pair_order] <= self.capacity[self.pair_offer]
        vouch = self.voucher[self.pair_order]
        balance = np.where(vouch >= 0, self.balance[np.maximum(vouch, 0)] if len(
            self.balance) else 0, 0)
        fits &= (vouch < 0) | (self.pair_subsidy <= balance)
        return self.subset((self.pair_value > MIN_VALUE) & fits)

    @property
    def n_orders(self) -> int:
        return len(self.gpus)

    @property
    def n_offers(self) -> int:
        return len(self.capacity)

    @property
    def n_slots(self) -> int:
        return self.snap.slots


def _ints(values: list[int]) -> IntArray:
    return np.asarray(values, dtype=np.int64)


def _rate_tables(snap: Snapshot) -> tuple[list[list[Fraction]], BoolArray]:
    """Exact rates per (voucher, class) and whether each voucher allows each offer."""
    rates = []
    for v in snap.vouchers:
        row = []
        for operator in OPERATORS:
            for domestic in (False, True):
                rate = v.rate[operator] + (v.domestic_bonus if domestic else 0)
                row.append(Fraction(min(v.max_rate, rate)))
        rates.append([*row, Fraction(0)])
    allowed = np.ones((len(snap.vouchers), len(snap.offers)), dtype=bool)
    for i, v in enumerate(snap.vouchers):
        if v.providers is not None:
            allowed[i] = [k.provider in v.providers for k in snap.offers]
    return rates, allowed


def _thresholds(snap: Snapshot, voucher: IntArray, rates: list[list[Fraction]]) -> IntArray:
    """Per (order, rate class): the highest ask in fen that passes rule 5."""
    out = np.empty((len(snap.orders), NO_RATE + 1), dtype=np.int64)
    # Rates as (numerator, denominator) ints: Fraction arithmetic per order is slow.
    parts = [[(r.numerator, r.denominator) for r in row] for row in rates]
    no_voucher = [(0, 1)] * (NO_RATE + 1)
    for o, order in enumerate(snap.orders):
        row = parts[voucher[o]] if voucher[o] >= 0 else no_voucher
        for c, (p, q) in enumerate(row):
            # (1 - p/q) * ask <= limit  <=>  ask <= floor(limit * q / (q - p)), ask integer
            out[o, c] = INT64_SAFE if p >= q else min(INT64_SAFE,
                                                      order.limit_fen * q // (q - p))
    return out


def _round_div(num: npt.NDArray[np.int64], den: int) -> npt.NDArray[np.int64]:
    """Non-negative ``num / den`` rounded half-even, in integers."""
    q, rem = np.divmod(num, den)
    twice = 2 * rem
    out: npt.NDArray[np.int64] = q + ((twice > den) | ((twice == den) & (q % 2 == 1)))
    return out


def build_market(snap: Snapshot) -> Market:
    """Arrays of a valid snapshot and all its pairs that pass rules 1-5."""
    acc_index = {m: i for i, m in enumerate(snap.accelerators)}
    voucher_index = {v.id: i for i, v in enumerate(snap.vouchers)}
    orders, offers = snap.orders, snap.offers
    voucher = _ints([voucher_index[o.voucher] if o.voucher else -1 for o in orders])
    market = Market(
        snap=snap, gpus=_ints([o.gpus for o in orders]),
        duration=_ints([o.duration_slots for o in orders]),
        earliest=_ints([o.earliest_start_slot for o in orders]),
        latest_end=_ints([o.latest_end_slot for o in orders]), voucher=voucher,
        capacity=_ints([k.gpus for k in offers]),
        balance=_ints([v.balance_fen for v in snap.vouchers]),
        has_compatible=np.zeros(len(orders), dtype=bool),
        has_within_limit=np.zeros(len(orders), dtype=bool),
        pair_order=_ints([]), pair_offer=_ints([]), pair_value=np.zeros(0),
        pair_subsidy=_ints([]), pair_first=_ints([]), pair_last=_ints([]),
        order_ptr=np.zeros(len(orders) + 1, dtype=np.int64),
    )
    _Pairs(snap, market, acc_index).run()
    return market


class _Pairs:
    """Evaluates rules 1-5 and values for all (order, offer) pairs, a chunk at a time."""

    def __init__(self, snap: Snapshot, market: Market, acc_index: dict[str, int]) -> None:
        self.snap, self.m = snap, market
        offers = snap.offers
        accs = [snap.accelerators[m] for m in snap.accelerators]
        self.offer_acc = _ints([acc_index[k.accelerator] for k in offers])
        self.accepts = np.zeros((len(snap.orders), len(accs)), dtype=bool)
        for o, order in enumerate(snap.orders):
            self.accepts[o, [acc_index[a] for a in set(order.accelerators)]] = True
        self.start = _ints([k.start_slot for k in offers])
        self.end = _ints([k.end_slot for k in offers])
        self.ask = _ints([k.ask_fen for k in offers])
        domestic = [snap.accelerators[k.accelerator].domestic for k in offers]
        self.rate_class = _ints([OPERATORS.index(k.operator) * 2 + d
                                 for k, d in zip(offers, domestic, strict=True)])
        # energy burnt per GPU-hour of each offer, kWh
        self.kwh = np.array([float(snap.accelerators[k.accelerator].tdp_w * k.pue / 1000)
                             for k in offers])
        self._latency_tables()
        self.rates, self.allowed = _rate_tables(snap)
        self.rate_float = np.array([[float(r) for r in row] for row in self.rates] or
                                   np.zeros((0, NO_RATE + 1)))
        self.threshold = _thresholds(snap, market.voucher, self.rates)
        self._subsidy_scale()

    def _latency_tables(self) -> None:
        snap = self.snap
        origins = sorted({o.origin for o in snap.orders if o.origin is not None})
        hubs = sorted({k.hub for k in snap.offers})
        table = np.full((len(origins) + 1, len(hubs)), np.inf)  # last row: no origin
        for i, origin in enumerate(origins):
            for j, hub in enumerate(hubs):
                ms = snap.latency(origin, hub)
                table[i, j] = np.inf if ms is None else ms
        self.latency = table
        index = {origin: i for i, origin in enumerate(origins)}
        self.origin = _ints([index.get(o.origin or "", len(origins)) for o in snap.orders])
        hub_index = {hub: j for j, hub in enumerate(hubs)}
        self.hub = _ints([hub_index[k.hub] for k in snap.offers])
        self.max_latency = np.array([np.inf if o.max_latency_ms is None else o.max_latency_ms
                                     for o in snap.orders])

    def _subsidy_scale(self) -> None:
        """Rates as integers over one common denominator, for exact subsidies."""
        den = 1
        for row in self.rates:
            for rate in row:
                den = den * rate.denominator // np.gcd(den, rate.denominator)
        self.rate_den = int(den)
        self.rate_num = [[int(r * den) for r in row] for row in self.rates]
        hours = Fraction(self.snap.slot_hours)
        self.hours_num, self.hours_den = hours.numerator, hours.denominator
        biggest = int(self.ask.max(initial=0)) * int(
            (self.m.gpus * self.m.duration).max(initial=0)) * self.hours_num
        self.exact_int64 = biggest * max(self.rate_den, self.hours_den) < INT64_SAFE

    def run(self) -> None:
        parts: list[list[IntArray]] = []
        values: list[FloatArray] = []
        for lo in range(0, self.m.n_orders, CHUNK):
            ints, value = self._chunk(np.arange(lo, min(lo + CHUNK, self.m.n_orders)))
            parts.append(ints)
            values.append(value)
        m = self.m
        if parts:
            cols = [np.concatenate([p[i] for p in parts]) for i in range(5)]
            m.pair_order, m.pair_offer, m.pair_subsidy, m.pair_first, m.pair_last = cols
            m.pair_value = np.concatenate(values)
        m.order_ptr = np.searchsorted(m.pair_order, np.arange(m.n_orders + 1)).astype(np.int64)

    def _chunk(self, rows: IntArray) -> tuple[list[IntArray], FloatArray]:
        """Pairs of these orders: [order, offer, subsidy, first, last] and values."""
        m = self.m
        first = np.maximum(m.earliest[rows, None], self.start[None, :])
        last = np.minimum(m.latest_end[rows, None], self.end[None, :]) - m.duration[rows, None]
        ok = self.accepts[rows][:, self.offer_acc] & (first <= last)
        ok &= self.latency[self.origin[rows]][:, self.hub] <= self.max_latency[rows, None]
        m.has_compatible[rows] = ok.any(axis=1)
        vouch = m.voucher[rows]
        cls = np.where(vouch[:, None] >= 0, self.rate_class[None, :], NO_RATE)
        if len(self.rates):
            cls = np.where((vouch[:, None] < 0) | self.allowed[np.maximum(vouch, 0)], cls,
                           NO_RATE)
        ok &= self.ask[None, :] <= np.take_along_axis(self.threshold[rows], cls, axis=1)
        m.has_within_limit[rows] = ok.any(axis=1)
        rate = np.zeros(cls.shape)
        if len(self.rates):
            rate = np.where(vouch[:, None] >= 0,
                            self.rate_float[np.maximum(vouch, 0)[:, None], cls], 0.0)
        hours = (m.gpus[rows] * m.duration[rows]).astype(float) * float(self.snap.slot_hours)
        limit = np.array([self.snap.orders[o].limit_fen for o in rows], dtype=float)
        value = hours[:, None] * ((limit[:, None] - (1 - rate) * self.ask[None, :])
                                  - self.snap.energy_price_fen * self.kwh[None, :]) / 100
        oi, ki = np.nonzero(ok)
        subsidy = self._subsidies(rows[oi], ki, cls[oi, ki])
        return [rows[oi], ki, subsidy, first[oi, ki], last[oi, ki]], value[oi, ki]

    def _subsidies(self, orders: IntArray, offers: IntArray, cls: IntArray) -> IntArray:
        """Exact subsidy in fen of each pair: round(r * round(ask * gpu_hours))."""
        m = self.m
        vouch = m.voucher[orders]
        if not len(self.rates):
            return np.zeros(len(orders), dtype=np.int64)
        num_table = np.array(self.rate_num, dtype=object if not self.exact_int64 else np.int64)
        num = np.where(vouch >= 0, num_table[np.maximum(vouch, 0), cls], 0)
        work = (self.ask[offers] * m.gpus[orders] * m.duration[orders])
        if not self.exact_int64:
            work, num = work.astype(object), num.astype(object)
        cost = _round_div(work * self.hours_num, self.hours_den)
        return np.asarray(_round_div(cost * num, self.rate_den), dtype=np.int64)
