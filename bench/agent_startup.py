"""How long the agent takes to start: `suanli-agent --help` and `suanli-agent inventory`
(fake backend) beside the bare interpreter (the baseline) and the platform's `suanli --help`.

Usage: .venv/bin/python bench/agent_startup.py [--runs 15]
Each command runs --runs times in a fresh process; medians are printed, with the ratio to
the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def median_s(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "inventory.json"
        inventory.write_text(json.dumps({"gpus": [{"name": "NVIDIA H20", "uuid": "GPU-1"}]}))
        cases = [
            ("baseline: python -c pass", [sys.executable, "-c", "pass"]),
            ("suanli-agent --help", [str(BIN / "suanli-agent"), "--help"]),
            ("suanli-agent inventory (fake)", [str(BIN / "suanli-agent"), "inventory",
                                               "--nvml-backend", f"fake:{inventory}"]),
            ("suanli --help (the platform)", [str(BIN / "suanli"), "--help"]),
        ]
        base = None
        print(f"{'command':34} {'median':>9} {'x baseline':>11}")
        for label, command in cases:
            took = median_s(command, runs)
            base = base or took
            print(f"{label:34} {took * 1000:7.0f} ms {took / base:10.1f}x")


if __name__ == "__main__":
    main()
