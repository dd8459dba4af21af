"""A deterministic world from a scenario's ``world`` section and ``seed``, apart from any policy.

Startups (their arrival week, city, revenue and the other facts the eligibility rules
read), every order they will place, and the clusters that list capacity are all drawn
here, before any policy is applied, so that ``--compare`` runs two policies against the
very same world. Each startup draws from its own stream (``random.Random`` seeded with a
string, which Python derives with SHA-512, so it is the same on every machine and
version), so one startup's draws never shift another's.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Literal

from suanli.catalog.accelerators import get_accelerator
from suanli.catalog.network import load_hubs
from suanli.simulate.scenario import HOURS_PER_WEEK, ClusterGroup, Scenario, Workload

Kind = Literal["training", "inference"]


@dataclass(frozen=True)
class Startup:
    """An applicant as the eligibility rules see it, plus when it arrives."""

    id: str
    arrival_week: int
    city: str
    revenue_fen: int
    revenue_verified: bool  # False: the revenue fact is unknown to the rules (needs review)
    research_project: bool
    headcount: int
    age_years: float
    model_filings: int
    credit_default: bool
    other_subsidy: bool
    review_draw: float  # a reviewer approves when this is below the policy's approval share


@dataclass(frozen=True)
class OrderSpec:
    """One order a startup places in ``week``; times are hours from the start of that week."""

    id: str
    startup: str
    week: int
    kind: Kind
    gpus: int
    duration_hours: int
    offset_hours: int
    latest_end_hours: int
    accelerators: tuple[str, ...]
    limit_fen: int
    max_latency_ms: int | None


@dataclass(frozen=True)
class Cluster:
    """A cluster that lists all its GPUs for every week."""

    id: str
    provider: str
    hub: str
    side: str
    operator: str
    accelerator: str
    domestic: bool
    gpus: int
    ask_fen: int
    pue: str


@dataclass(frozen=True)
class World:
    """Everything the policy meets; the same seed and world section give the same World."""

    seed: int
    weeks: int
    startups: tuple[Startup, ...]
    clusters: tuple[Cluster, ...]
    orders: tuple[tuple[OrderSpec, ...], ...]  # by week placed

    def fingerprint(self) -> str:
        """SHA-256 of the whole world, so two runs can show they met the same one."""
        text = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting unit-rate arrivals; exact, O(mean), fine for small means."""
    count, total = 0, rng.expovariate(1.0) if mean > 0 else math.inf
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def build_world(scenario: Scenario) -> World:
    """The world of ``scenario``: its seed, weeks and ``world`` section, nothing of the policy."""
    arrivals = _arrival_weeks(scenario)
    startups = tuple(
        _startup(scenario, index, week) for index, week in enumerate(arrivals, start=1)
    )
    by_week: list[list[OrderSpec]] = [[] for _ in range(scenario.weeks)]
    for startup in startups:
        for order in _orders_of(scenario, startup):
            by_week[order.week].append(order)
    return World(
        seed=scenario.seed,
        weeks=scenario.weeks,
        startups=startups,
        clusters=_clusters(scenario),
        orders=tuple(tuple(week) for week in by_week),
    )


def _arrival_weeks(scenario: Scenario) -> list[int]:
    spec = scenario.world.startups
    rng = random.Random(f"{scenario.seed}/arrivals")
    weeks = [0] * spec.initial
    for week in range(scenario.weeks):
        weeks.extend([week] * poisson(rng, spec.arrivals_per_week))
    if spec.max_startups is not None:
        weeks = weeks[: spec.max_startups]
    return weeks


def _startup(scenario: Scenario, index: int, week: int) -> Startup:
    spec = scenario.world.startups
    startup_id = f"s{index:04d}"
    rng = random.Random(f"{scenario.seed}/startup/{startup_id}")
    cities = list(spec.cities)
    city = rng.choices(cities, weights=[spec.cities[c] for c in cities])[0]
    revenue = 0
    if rng.random() >= spec.revenue.zero_share:
        mu = math.log(spec.revenue.median_cny)
        revenue = round(rng.lognormvariate(mu, spec.revenue.sigma))
    return Startup(
        id=startup_id,
        arrival_week=week,
        city=city,
        revenue_fen=revenue,
        revenue_verified=rng.random() >= spec.unverified_revenue_share,
        research_project=rng.random() < spec.research_project_share,
        headcount=rng.randint(spec.headcount[0], spec.headcount[1]),
        age_years=round(rng.uniform(spec.age_years[0], spec.age_years[1]), 2),
        model_filings=1 if rng.random() < spec.model_filing_share else 0,
        credit_default=rng.random() < spec.credit_default_share,
        other_subsidy=rng.random() < spec.other_subsidy_share,
        review_draw=rng.random(),
    )


def _orders_of(scenario: Scenario, startup: Startup) -> list[OrderSpec]:
    demand = scenario.world.demand
    rng = random.Random(f"{scenario.seed}/orders/{startup.id}")
    kinds: tuple[Kind, Kind] = ("training", "inference")
    shares = [demand.training.share, demand.inference.share]
    orders = []
    for week in range(startup.arrival_week, scenario.weeks):
        for n in range(poisson(rng, demand.orders_per_week)):
            kind = rng.choices(kinds, weights=shares)[0]
            workload = demand.training if kind == "training" else demand.inference
            order_id = f"{startup.id}-w{week + 1:02d}-{n + 1}"
            orders.append(_order(rng, workload, order_id, startup.id, week, kind))
    return orders


def _order(rng: random.Random, workload: Workload, order_id: str, startup: str, week: int,
           kind: Kind) -> OrderSpec:
    duration = rng.choice(workload.duration_hours)
    offset = rng.randint(0, HOURS_PER_WEEK - duration)
    chips = rng.sample(workload.accelerators, rng.randint(1, len(workload.accelerators)))
    low, high = workload.limit_cny_per_gpu_hour
    return OrderSpec(
        id=order_id,
        startup=startup,
        week=week,
        kind=kind,
        gpus=rng.choice(workload.gpus),
        duration_hours=duration,
        offset_hours=offset,
        latest_end_hours=min(HOURS_PER_WEEK, offset + duration + workload.flexibility_hours),
        # Catalogue order, so the same set always reads the same.
        accelerators=tuple(m for m in workload.accelerators if m in chips),
        limit_fen=rng.randint(low, high),
        max_latency_ms=workload.max_latency_ms,
    )


def _clusters(scenario: Scenario) -> tuple[Cluster, ...]:
    rng = random.Random(f"{scenario.seed}/clusters")
    hubs = {hub.id: hub for hub in load_hubs()}
    clusters: list[Cluster] = []
    for group in scenario.world.clusters:
        for _ in range(group.count):
            clusters.append(_cluster(rng, group, len(clusters) + 1, hubs[group.hub].side,
                                     hubs[group.hub].pue_target))
    return tuple(clusters)


def _cluster(rng: random.Random, group: ClusterGroup, number: int, side: str,
             hub_pue: Decimal) -> Cluster:
    factor = 1 + rng.uniform(-group.ask_spread, group.ask_spread)
    pue = Decimal(str(group.pue)) if group.pue is not None else hub_pue
    return Cluster(
        id=f"c{number:03d}",
        provider=f"{group.hub}-{group.operator}-{number:03d}",
        hub=group.hub,
        side=side,
        operator=group.operator,
        accelerator=group.accelerator,
        domestic=get_accelerator(group.accelerator).domestic,
        gpus=group.gpus,
        ask_fen=max(1, round(group.ask_cny_per_gpu_hour * factor)),
        pue=str(pue),
    )
