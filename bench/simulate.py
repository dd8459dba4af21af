"""Benchmark of the policy simulator: 12 weeks, 500 startups, 100 clusters (the issue's target).

    .venv/bin/python bench/simulate.py [--scenario PATH] [--weeks N]

Runs the packaged ``large.yaml`` scenario end to end (load, world, the weekly loop with
the real rules, clearing and settlement, the PNG/HTML/JSON report) in a fresh child
process, so that its peak memory (``ru_maxrss``) is its own, and prints wall time and
peak memory next to the limits (5 minutes, 2 GiB, on a 2-core machine). The baseline is
measured in the same run: the same simulation with the greedy first-come-first-served
broker in place of the optimiser, so the ratio shows what the optimiser costs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT / "src" / "suanli" / "simulate" / "scenarios" / "large.yaml"
LIMIT_SECONDS = 300.0
LIMIT_BYTES = 2 * 1024**3


def one_run(path: Path, broker: str, weeks: int | None) -> dict[str, Any]:
    """Simulate and write the report in this process; wall time, peak memory, headline numbers."""
    from suanli.simulate.loading import load_scenario, merge
    from suanli.simulate.report import write_report
    from suanli.simulate.runner import run_scenarios
    from suanli.simulate.scenario import Scenario

    started = time.perf_counter()
    scenario = load_scenario(path)
    override: dict[str, Any] = {"clearing": {"broker": broker}}
    if weeks is not None:
        override["weeks"] = weeks
    scenario = Scenario.model_validate(merge(scenario.model_dump(mode="json"), override))
    document, _ = run_scenarios(scenario)
    with tempfile.TemporaryDirectory() as outdir:
        write_report(document, Path(outdir))
    wall = time.perf_counter() - started
    run = document["runs"][0]
    summary = run["summary"]
    return {
        "broker": broker,
        "wall_s": round(wall, 2),
        "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "startups": summary["startups"]["arrived"],
        "orders": sum(r["orders"] for r in run["rounds"]),
        "statuses": sorted({r["status"] for r in run["rounds"]}),
        "gpu_hours": summary["delivery"]["gpu_hours"],
        "subsidy_spent_cny": summary["subsidy"]["spent_cny"],
        "objective_cny": sum(float(r["objective_cny"]) for r in run["rounds"]),
    }


def child(path: Path, broker: str, weeks: int | None) -> dict[str, Any]:
    """``one_run`` in a fresh interpreter (its own peak memory)."""
    command = [sys.executable, __file__, "--child", broker, "--scenario", str(path)]
    if weeks is not None:
        command += ["--weeks", str(weeks)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=LARGE)
    parser.add_argument("--weeks", type=int, default=None)
    parser.add_argument("--child", choices=("optimal", "greedy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.scenario, args.child, args.weeks)))
        return 0
    optimal = child(args.scenario, "optimal", args.weeks)
    greedy = child(args.scenario, "greedy", args.weeks)
    mib = 1024**2
    print(f"scenario {args.scenario.name}: {optimal['startups']} startups, "
          f"{optimal['orders']} orders placed over the rounds")
    print(f"{'run':<22}{'wall s':>10}{'limit':>8}{'peak MiB':>10}{'limit':>8}"
          f"{'GPU-hours':>14}{'objective CNY':>16}")
    for run in (optimal, greedy):
        print(f"{run['broker'] + ' ' + '/'.join(run['statuses']):<22}{run['wall_s']:>10.1f}"
              f"{LIMIT_SECONDS:>8.0f}{run['peak_bytes'] / mib:>10.0f}{LIMIT_BYTES / mib:>8.0f}"
              f"{run['gpu_hours']:>14,.0f}{run['objective_cny']:>16,.0f}")
    ratio = optimal["wall_s"] / greedy["wall_s"] if greedy["wall_s"] else float("inf")
    gain = optimal["objective_cny"] / greedy["objective_cny"] - 1 if greedy["objective_cny"] else 0
    print(f"optimiser / greedy: {ratio:.1f}x the time, {gain * 100:+.1f} % objective")
    ok = optimal["wall_s"] < LIMIT_SECONDS and optimal["peak_bytes"] < LIMIT_BYTES
    print("PASS" if ok else "FAIL: over a limit")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
