"""Properties on random small markets: feasibility, optimality, determinism."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from suanli.market.clearing import check, clear, greedy, rules, validate

from . import brute
from .strategies import snapshots

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def without_time(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "solve_seconds"}


@SETTINGS
@given(snapshots())
def test_results_pass_every_rule(snapshot: dict[str, Any]) -> None:
    assert validate(snapshot) == []
    result = clear(snapshot)
    assert check(snapshot, result) == []
    assert check(snapshot, greedy(snapshot), maximal=False) == []


@SETTINGS
@given(snapshots(max_orders=4, max_offers=2, max_slots=5))
def test_optimum_equals_brute_force(snapshot: dict[str, Any]) -> None:
    assume(brute.size(snapshot) <= 20_000)
    result = clear(snapshot)
    best = rules.fen_text(rules.yuan_to_fen(brute.optimum(snapshot)))
    assert result["objective_cny"] == best
    assert result["status"] in ("optimal", "empty")
    assert result["bound_cny"] == best


@settings(max_examples=15, deadline=None)
@given(snapshots(max_orders=8, max_offers=3, max_slots=8))
def test_same_snapshot_same_result(snapshot: dict[str, Any]) -> None:
    assert without_time(clear(snapshot)) == without_time(clear(snapshot))
