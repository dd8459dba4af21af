"""The public operations: clear a snapshot, run the FCFS baseline, price capacity."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from suanli.market.clearing.greedy import best_value_in_order, first_come_first_served
from suanli.market.clearing.market import build_market
from suanli.market.clearing.result import build, triples_of, verify
from suanli.market.clearing.solve import optimise, shadow_prices
from suanli.market.clearing.validate import parse


def clear(snapshot: dict[str, Any], *, time_limit: float | None = None) -> dict[str, Any]:
    """Clear one round: the result JSON object of the contract for a snapshot.

    Raises ``SnapshotError`` (with every problem) when the snapshot is invalid. The
    result is exactly feasible; the same snapshot gives the same result except for
    ``solve_seconds`` (unless ``time_limit``, a safety net in seconds, cut it short).
    """
    began = time.monotonic()
    snap = parse(snapshot)
    full = build_market(snap)
    market = full.positive()
    outcome = optimise(market, time_limit)
    outcome.book.left_shift()
    matches = verify(snap, triples_of(market, outcome.book))
    return build(snap, full, matches, outcome.bound, time.monotonic() - began)


def greedy(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The first-come-first-served broker's result, in the same format (no bound)."""
    began = time.monotonic()
    snap = parse(snapshot)
    full = build_market(snap)
    book = first_come_first_served(full)
    matches = verify(snap, triples_of(full, book), positive=False)
    return build(snap, full, matches, None, time.monotonic() - began)


def greedy_best_value(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The greedy broker's result (each order in id order gets its best-value match that
    still fits), in the same format (no bound): the yardstick for large markets."""
    began = time.monotonic()
    snap = parse(snapshot)
    full = build_market(snap)
    market = full.positive()
    matches = verify(snap, triples_of(market, best_value_in_order(market)))
    return build(snap, full, matches, None, time.monotonic() - began)


def capacity_shadow_prices(snapshot: dict[str, Any]) -> dict[str, float]:
    """Per offer id, the LP shadow price of its capacity in CNY per GPU-hour, averaged
    over the slots the offer is open (0 where capacity is not scarce)."""
    snap = parse(snapshot)
    market = build_market(snap).positive()
    prices = shadow_prices(market).reshape(market.n_offers, market.n_slots)
    hours = float(snap.slot_hours)
    return {
        offer.id: float(np.mean(prices[k, offer.start_slot:offer.end_slot])) / hours
        for k, offer in enumerate(snap.offers)
    }
