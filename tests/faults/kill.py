"""`suanli` commands in processes of their own, killed with SIGKILL at seeded random
moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("SUANLI_TEST_KILLS", "2"))  # more by hand: 10


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(tmp),
            "SUANLI_SECRET_KEY": "test-secret-key-not-for-production"}


def start(url: str, tmp: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "from suanli.cli import main; main()",
                             *args], cwd=ROOT, env=_env(url, tmp), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def complete(url: str, tmp: Path, args: list[str]) -> float:
    """Run to the end (exit 0); the seconds it took."""
    began = time.monotonic()
    proc = start(url, tmp, args)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"suanli {' '.join(args)}: {out.decode()[-2000:]}"
    return time.monotonic() - began


def kill_at(url: str, tmp: Path, args: list[str], delay: float) -> bool:
    """Start the command and SIGKILL it after `delay` seconds; False when it had already
    finished by then."""
    proc = start(url, tmp, args)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return alive


def moments(seed: str, span: float) -> list[float]:
    """KILLS seeded random delays within the first `span` seconds (a run's length: most
    land while it works, some while it starts)."""
    rng = random.Random(seed)
    return [span * rng.uniform(0.3, 1.0) for _ in range(KILLS)]
