"""Benchmark of the clearing engine (not a test).

Generated markets of 300 orders x 40 offers x 48 slots (several seeds) and of
10,000 orders x 1,000 offers x 168 slots; for each: solve time (wall and CPU),
objective, proved bound, the gap to the bound, the objective as a multiple of two
brokers' (first-come-first-served: the first offer in list order that fits; greedy:
each order in id order gets its best-value match that still fits) and the peak memory
of the process that cleared it (each instance runs in a fresh process).

    .venv/bin/python bench/clearing.py [--quick] [--seeds N] [--check] [--optimum]
                                       [--big ORDERSxOFFERSxSLOTS]

``--quick`` runs one small seed and a 2,000 x 200 x 168 market instead of the big
one; ``--big`` picks another big market. ``--check`` also re-verifies big results with
``check`` (slow: minutes).
``--optimum`` also solves each small market's full MIP (every triple) with HiGHS,
without effort limits, to report the distance to the true optimum (minutes).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import time
from typing import Any

from suanli.market.clearing import MarketShape, check, clear, generate, greedy, parse
from suanli.market.clearing.api import greedy_best_value
from suanli.market.clearing.market import build_market
from suanli.market.clearing.master import Master
from suanli.market.clearing.pricing import expand

SMALL = MarketShape(orders=300, offers=40, slots=48)
BIG = MarketShape(orders=10_000, offers=1_000, slots=168)
QUICK_BIG = MarketShape(orders=2_000, offers=200, slots=168)
CHECK_LIMIT = 1_000  # orders: above this ``check`` only runs with --check


def true_optimum(snapshot: dict[str, Any]) -> float:
    """The optimum by brute MIP: every triple, no node limit (a reference, not a method)."""
    market = build_market(parse(snapshot)).positive()
    master = Master(market)
    master.add(*expand(market, 0, len(market.pair_order)))
    x, bound = master.solve_mip([], 600.0, 2**31 - 1)
    value = float(market.pair_value[master.col_pair[x > 0.5]].sum())
    return value if bound - value <= 1e-6 * max(value, 1.0) else float("nan")


def run_one(shape: MarketShape, seed: int, time_limit: float, verify: bool,
            optimum: bool) -> dict[str, Any]:
    """Clear one generated market in this (fresh) process and measure it."""
    snapshot = generate(shape, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    result = clear(snapshot, time_limit=time_limit)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    baseline = greedy(snapshot)
    broker = greedy_best_value(snapshot)
    problems = check(snapshot, result) if verify else None
    return {
        "market": f"{shape.orders}x{shape.offers}x{shape.slots}", "seed": seed,
        "wall": wall, "cpu": cpu, "status": result["status"],
        "objective": float(result["objective_cny"]), "bound": float(result["bound_cny"]),
        "fcfs": float(baseline["objective_cny"]),
        "greedy": float(broker["objective_cny"]), "matched": len(result["assignments"]),
        "orders": shape.orders, "peak_mib": peak_mib,
        "check": "-" if problems is None else ("ok" if not problems else problems[0]),
        "optimum": true_optimum(snapshot) if optimum else None,
    }


def isolated(shape: MarketShape, seed: int, time_limit: float, verify: bool,
             optimum: bool) -> dict[str, Any]:
    """``run_one`` in a fresh process, so that its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_one, shape, seed, time_limit, verify, optimum).result()


def show(row: dict[str, Any]) -> None:
    gap = (row["bound"] - row["objective"]) / row["bound"] * 100 if row["bound"] else 0.0
    def times(base: float) -> float:
        return row["objective"] / base if base else float("inf")

    print(f"{row['market']:>16} {row['seed']:>4} {row['status']:>8} {row['wall']:>7.1f}s "
          f"{row['cpu']:>7.1f}s {row['objective']:>13,.2f} {row['bound']:>13,.2f} "
          f"{gap:>6.2f}% {row['fcfs']:>13,.2f} {times(row['fcfs']):>6.3f} "
          f"{row['greedy']:>13,.2f} {times(row['greedy']):>6.3f} {row['matched']:>6} "
          f"{row['peak_mib']:>7.0f} {row['check']}", end="")
    if row["optimum"] is not None:
        below = round((row["optimum"] - row["objective"]) / row["optimum"] * 100, 3) + 0.0
        print(f"  optimum {row['optimum']:,.2f} ({below:.3f}% above ours)", end="")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small seed, a mid market")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the small market")
    parser.add_argument("--check", action="store_true", help="check big results too (slow)")
    parser.add_argument("--optimum", action="store_true", help="true optimum of small markets")
    parser.add_argument("--big", help="the big market, e.g. 4000x400x168")
    parser.add_argument("--time-limit", type=float, default=60.0, help="safety limit, s")
    args = parser.parse_args()
    seeds = 1 if args.quick else args.seeds
    markets = [(SMALL, seed) for seed in range(seeds)]
    big = QUICK_BIG if args.quick else BIG
    if args.big:
        orders, offers, slots = (int(n) for n in args.big.split("x"))
        big = MarketShape(orders=orders, offers=offers, slots=slots)
    markets.append((big, 0))
    print(f"{'market':>16} {'seed':>4} {'status':>8} {'wall':>8} {'cpu':>8} {'objective':>13} "
          f"{'bound':>13} {'gap':>7} {'fcfs':>13} {'x fcfs':>6} {'greedy':>13} {'x grdy':>6} "
          f"{'match':>6} {'MiB':>7} check")
    for shape, seed in markets:
        verify = args.check or shape.orders <= CHECK_LIMIT
        optimum = args.optimum and shape.orders <= CHECK_LIMIT
        show(isolated(shape, seed, args.time_limit, verify, optimum))


if __name__ == "__main__":
    main()
