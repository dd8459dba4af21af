"""Suanli over HTTP beside a same-stack baseline, in one run: one uvicorn worker each,
32 keep-alive connections, on SQLite (and PostgreSQL with --pg URL).

    .venv/bin/python bench/http.py                      # SQLite, 5 s a measurement
    .venv/bin/python bench/http.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/http.py --seconds 10 --connections 32 --scenarios transfers

Scenarios (the worlds and requests: bench/http_worlds.py): `transfers` (a platform
operator's correcting ledger transfer, a unique id per request: POST
/api/v1/ledger/transfers), `me` (GET /api/v1/me), `orders` (a buyer's one-GPU order, POST
/api/v1/market/orders), `buys` (a buyer's one-GPU-hour instant buy of one live offer,
round-robin over its hours, POST /api/v1/market/instant-buys) and `usage` (a provider's
one-record usage report of a past contract, POST /api/v1/metering/usage), all with a bearer
token. The baseline is bench/http_baseline.py: FastAPI + uvicorn + SQLAlchemy Core, sync
handlers, the same SQLite pragmas; for every write scenario POST /transfers (insert a
transfer, update two balances, one transaction), for `me` GET /me (read the token's user).
Each server runs in its own process (`uvicorn --workers N`, default 1, `--workers`), the
load from threads of this one (http.client, one connection each), after one second of
warm-up; the baseline is measured right after Suanli for each scenario. Printed: requests/s,
Suanli / baseline, p50, p99, max, requests over 2 s, non-2xx answers (by status). Asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402

Request = Callable[[int, int], tuple[str, str, str | None]]  # (thread, n) -> method, path, body


@dataclass
class Result:
    count: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0


def load(port: int, make: Request, headers: dict[str, str], connections: int,
         seconds: float, warmup: float = 1.0) -> Result:
    """`connections` threads, each on one keep-alive connection, for warmup + seconds."""
    start = time.monotonic() + 0.2
    measure_from, stop = start + warmup, start + warmup + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(connections)]

    def worker(t: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = 0
        while time.monotonic() < start:
            time.sleep(0.001)
        while (now := time.monotonic()) < stop:
            method, path, body = make(t, n)
            n += 1
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            if now >= measure_from:
                latencies[t].append(time.monotonic() - now)
                statuses[t][status] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [x for per in latencies for x in per]
    return Result(len(flat), seconds, flat, sum(statuses, Counter()))


@contextmanager
def server(app: str, env: dict[str, str], workers: int = 1) -> Iterator[tuple[int, int]]:
    """(port, pid) of `uvicorn APP --factory --workers N` in a process of its own."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--factory", "--port",
                             str(port), "--workers", str(workers), "--log-level", "warning",
                             "--no-access-log"],
                            cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                probe.request("GET", "/x")  # a 404 matches every route: all are built
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


BASELINE: dict[str, Request] = {
    "me": lambda t, n: ("GET", "/me", None),
    "write": lambda t, n: ("POST", "/transfers", json.dumps({
        "id": f"bench-{t}-{n}", "debit": "treasury", "credit": "sink", "amount": "1.00",
        "reason": "bench"})),
}
SCENARIOS = ("transfers", "me", "orders", "buys", "usage")


def run(db: str, pg: str | None, args: argparse.Namespace) -> None:
    from bench.http_baseline import TOKEN
    from bench.http_worlds import build, requests

    for name in args.scenarios.split(","):
        with scratch_database(pg) as url:
            world = build(url)
            role, ours_make = requests(world)[name]
            env = {"SUANLI_DATABASE_URL": url, "SUANLI_SECRET_KEY": "bench",
                   "SUANLI_DATA_DIR": tempfile.mkdtemp(), "SUANLI_LOG_LEVEL": "warning"}
            with server("suanli.app:create_app", env, args.workers) as (port, pid):
                headers = {"Authorization": f"Bearer {world.tokens[role]}",
                           "Content-Type": "application/json"}
                profile(pid, args.profile, f"{db}-{name}", args.seconds)
                ours = load(port, ours_make, headers, args.connections, args.seconds)
        base_make = BASELINE["me" if name == "me" else "write"]
        with scratch_database(pg) as url, server("bench.http_baseline:create_app",
                                         {"BASELINE_DB": url}, args.workers) as (port, _):
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            base = load(port, base_make, headers, args.connections, args.seconds)
        report(db, name, ours, base)


def profile(pid: int, folder: str | None, label: str, seconds: float) -> None:
    """py-spy samples the Suanli server through the measurement, after the warm-up
    (--profile DIR; collapsed stacks of every thread, idle ones too: wall-clock, so
    waits for locks and the database show; one file per database and scenario)."""
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        out = Path(folder) / f"{label}.txt"
        beside = Path(sys.executable).with_name("py-spy")  # the virtual environment's
        spy = str(beside) if beside.exists() else "py-spy"
        subprocess.Popen(["sh", "-c", f"sleep 1.3; exec {spy} record --pid {pid} --duration "
                          f"{int(seconds)} --format raw --nonblocking --idle --output {out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report(db: str, name: str, ours: Result, base: Result) -> None:
    for who, r in (("suanli", ours), ("baseline", base)):
        bad = {k: v for k, v in r.statuses.items() if not 200 <= k < 300}
        ratio = f"{ours.rate / base.rate:.2f}x" if who == "suanli" else ""
        over = sum(1 for x in r.latencies if x > 2)
        print(f"{db:<10} {name:<10} {who:<9} {r.rate:>8.1f} {ratio:>6} {r.pct(0.5):>8.1f} "
              f"{r.pct(0.99):>8.1f} {max(r.latencies, default=0) * 1000:>8.1f} {over:>5} "
              f"{dict(bad) or '-'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pg", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--only-pg", action="store_true")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn workers of each server (the baseline's too)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy raw profiles of Suanli")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.connections} "
          f"connections, {args.workers} worker(s), "
          f"{args.seconds:g} s per measurement")
    print(f"{'database':<10} {'scenario':<10} {'system':<9} {'req/s':>8} {'ratio':>6} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'>2s':>5} non-2xx")
    if not args.only_pg:
        run("sqlite", None, args)
    if args.pg:
        run("postgresql", args.pg, args)


if __name__ == "__main__":
    main()
