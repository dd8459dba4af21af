"""The world: the same seed gives the same world, and no policy changes it."""

from __future__ import annotations

import random
from statistics import mean

from suanli.simulate.loading import load_scenario
from suanli.simulate.scenario import HOURS_PER_WEEK
from suanli.simulate.world import build_world, poisson
from tests.simulate.helpers import SCENARIOS, SMALL, variant


def test_the_same_seed_gives_the_same_world() -> None:
    first, second = build_world(load_scenario(SMALL)), build_world(load_scenario(SMALL))
    assert first == second
    assert first.fingerprint() == second.fingerprint()


def test_another_seed_gives_another_world() -> None:
    assert build_world(variant(seed=12)).fingerprint() != build_world(variant()).fingerprint()


def test_the_policy_does_not_change_the_world() -> None:
    generous = variant(policy={"budget_cny": "99000000.00", "rates": {"state": "0.60"},
                               "eligibility": {"thresholds": {"min_revenue_cny": "0.00"}}})
    assert build_world(generous).fingerprint() == build_world(variant()).fingerprint()


def test_every_example_variant_meets_the_baseline_world() -> None:
    baseline = build_world(load_scenario(SCENARIOS / "baseline.yaml")).fingerprint()
    for name in ("flat-rate", "state-50-30", "domestic-bonus", "revenue-threshold",
                 "revenue-threshold-low"):
        world = build_world(load_scenario(SCENARIOS / f"{name}.yaml"))
        assert world.fingerprint() == baseline, name


def test_arrivals_orders_and_clusters_follow_the_scenario() -> None:
    scenario = load_scenario(SMALL)
    world = build_world(scenario)
    assert len(world.startups) == 20  # max_startups
    assert sum(1 for s in world.startups if s.arrival_week == 0) >= 8  # initial
    assert len(world.clusters) == 5
    ids = [o.id for week in world.orders for o in week]
    assert len(ids) == len(set(ids))
    arrival = {s.id: s.arrival_week for s in world.startups}
    for week, orders in enumerate(world.orders):
        for order in orders:
            assert order.week == week >= arrival[order.startup]
            assert order.offset_hours >= 0
            assert order.offset_hours + order.duration_hours <= order.latest_end_hours
            assert order.latest_end_hours <= HOURS_PER_WEEK
            low, high = (scenario.world.demand.training if order.kind == "training"
                         else scenario.world.demand.inference).limit_cny_per_gpu_hour
            assert low <= order.limit_fen <= high


def test_cities_come_from_the_weights_and_pue_from_the_hub() -> None:
    world = build_world(load_scenario(SMALL))
    assert {s.city for s in world.startups} <= {"shanghai", "beijing", "chengdu", "wuhan"}
    qingyang = next(c for c in world.clusters if c.hub == "gs-qingyang")
    assert (qingyang.pue, qingyang.side, qingyang.domestic) == ("1.20", "west", True)


def test_poisson_draws_have_the_right_mean() -> None:
    rng = random.Random(1)
    draws = [poisson(rng, 3.0) for _ in range(20_000)]
    assert abs(mean(draws) - 3.0) < 0.05
    assert poisson(rng, 0.0) == 0
