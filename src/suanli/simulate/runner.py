"""Run one scenario, or two policies on one world, and assemble the report document.

In a comparison the world (``seed``, ``weeks``, ``world``, ``clearing``) is scenario A's;
only B's ``policy`` is used, so both policies meet the very same startups, orders and
clusters. When B's own world differs, the document says so in ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from suanli.simulate.engine import Run, simulate
from suanli.simulate.metrics import Week, summarise
from suanli.simulate.report import policy_json
from suanli.simulate.scenario import Scenario
from suanli.simulate.world import World, build_world

OnWeek = Callable[[str, Week], None]


def _labels(a: Scenario, b: Scenario | None) -> list[str]:
    if b is None:
        return [a.name]
    if a.name == b.name:
        return [f"A: {a.name}", f"B: {b.name}"]
    return [a.name, b.name]


def _rounds(run: Run) -> list[dict[str, Any]]:
    return [
        {"round_id": r.result["round_id"], "status": r.result["status"],
         "orders": len(r.snapshot["orders"]), "assignments": len(r.result["assignments"]),
         "objective_cny": r.result["objective_cny"]}
        for r in run.rounds
    ]


def _entry(label: str, scenario: Scenario, world: World, run: Run) -> dict[str, Any]:
    return {
        "label": label,
        "scenario": scenario.name,
        "description": scenario.description.strip(),
        "seed": world.seed,
        "weeks": world.weeks,
        "world_fingerprint": world.fingerprint(),
        "policy": policy_json(scenario.policy),
        "summary": summarise(run.tally),
        "rounds": _rounds(run),
    }


def _notes(a: Scenario, b: Scenario | None, entries: list[dict[str, Any]]) -> list[str]:
    notes = []
    if b is not None and (a.seed, a.weeks, a.world, a.clearing) != (
            b.seed, b.weeks, b.world, b.clearing):
        notes.append(f"{b.name}: its own seed, weeks, world or clearing differ from "
                     f"{a.name}'s; both policies were run on {a.name}'s world")
    for entry in entries:
        cut = entry["summary"]["clearing"]["time_limited"]
        if cut:
            notes.append(f"{entry['label']}: {cut} of {entry['summary']['clearing']['rounds']} "
                         "rounds were cut short by the clearing time limit (valid, not proved "
                         "optimal; they may differ slightly from run to run)")
    return notes


def run_scenarios(a: Scenario, b: Scenario | None = None, *,
                  on_week: OnWeek | None = None) -> tuple[dict[str, Any], list[Run]]:
    """Simulate A (and B's policy on A's world); the report document and the raw runs."""
    world = build_world(a)
    labels = _labels(a, b)
    entries, runs = [], []
    for label, scenario in zip(labels, [a] if b is None else [a, b], strict=True):
        def progress(week: Week, label: str = label) -> None:
            if on_week is not None:
                on_week(label, week)

        run = simulate(a, world, scenario.policy, keep_rounds=True, on_week=progress)
        runs.append(run)
        entries.append(_entry(label, scenario, world, run))
    title = a.name if b is None else f"{labels[0]} vs {labels[1]}"
    document = {"title": title, "mode": "single" if b is None else "compare",
                "notes": _notes(a, b, entries), "runs": entries}
    return document, runs
