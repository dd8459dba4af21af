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


# The child says "ready" on stderr once its imports are done, just before the command
# runs: a kill's delay counts from there, not from the interpreter's noisy start.
READY = ("import sys; from suanli.cli import main; "
         "print('ready', file=sys.stderr, flush=True); main()")


def start(url: str, tmp: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", READY, *args], cwd=ROOT,
                            env=_env(url, tmp), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def complete(url: str, tmp: Path, args: list[str]) -> float:
    """Run to the end (exit 0); the seconds it took."""
    began = time.monotonic()
    proc = start(url, tmp, args)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"suanli {' '.join(args)}: {err.decode()[-2000:]}"
    return time.monotonic() - began


def kill_at(url: str, tmp: Path, args: list[str], delay: float) -> bool:
    """Start the command and SIGKILL it `delay` seconds after it is ready to run; False
    when it had already finished by then."""
    proc = start(url, tmp, args)
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == b"ready"
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return alive


def moments(seed: str, work: float) -> list[float]:
    """KILLS seeded random delays after the start of a command whose work took `work`
    seconds in a run never killed (most land while it works, a few after it ended)."""
    rng = random.Random(seed)
    # The first kill comes as soon as the command is ready, so at least one lands while it
    # runs however fast the machine; the others fall anywhere in and after its work.
    return [0.0, *((1.5 * work + 0.3) * rng.random() for _ in range(KILLS - 1))]
