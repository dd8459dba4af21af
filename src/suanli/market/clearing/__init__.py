"""Clearing rounds: a pure function from a market snapshot to assignments.

``clear`` optimises with HiGHS (see ``solve`` for the method and its determinism),
``greedy`` is the first-come-first-served baseline, ``check`` recomputes every
rule of a result, ``validate`` lists the problems of a snapshot.
"""

from suanli.market.clearing.api import capacity_shadow_prices, clear, greedy
from suanli.market.clearing.check import check
from suanli.market.clearing.generate import MarketShape, generate
from suanli.market.clearing.snapshot import Snapshot, SnapshotError
from suanli.market.clearing.validate import parse, validate

__all__ = [
    "MarketShape",
    "Snapshot",
    "SnapshotError",
    "capacity_shadow_prices",
    "check",
    "clear",
    "generate",
    "greedy",
    "parse",
    "validate",
]
