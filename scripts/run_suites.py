"""Run the test suite on SQLite and on PostgreSQL at the same time; exit non-zero if either fails.

Usage: python scripts/run_suites.py PG_URL [pytest args...]

The two runs share nothing (each test gets its own SQLite file or PostgreSQL database, each
browser test its own port), so running them side by side halves CI's wall time. Each run's
output goes to its own log, printed whole when that run ends, so the two never interleave.
When PostgreSQL is not reachable the SQLite run still happens: outside CI the PostgreSQL run
is reported as skipped, under CI=true it is a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pg_ready import reachable  # noqa: E402


def _start(backend: str, pg_url: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SUANLI_TEST_DB=backend, SUANLI_TEST_PG_URL=pg_url)
    with log.open("wb") as out:
        command = [sys.executable, "-m", "pytest", "-q", "--durations=15", *args]
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> int:
    pg_url, args = sys.argv[1], sys.argv[2:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the cleanup below runs
    backends = ["sqlite"]
    if reachable(pg_url):
        backends.append("postgresql")
    elif os.environ.get("CI") == "true":
        print(f"FAIL: PostgreSQL at {pg_url} is not reachable and CI=true")
        return 1
    else:
        print(
            f"SKIPPED: the PostgreSQL run (no server at {pg_url}). Start one, or run .ci/run, "
            "which installs and starts it; PG_URL=... make test picks another."
        )
    started = time.monotonic()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="suanli-suites-") as tmp:
        logs = {b: Path(tmp) / f"{b}.log" for b in backends}
        # Tests that do not depend on the database run once, to keep CI within its time:
        # the browser tests (pages over a demo world that is the same on either database;
        # the PostgreSQL run covers the same routes through the HTTP client) in the SQLite
        # run, the provider agent's and the install-from-nothing script's in the other.
        extra = {"sqlite": ["--ignore=tests/agent", "--ignore=tests/cli/test_install_script.py"],
                 "postgresql": ["--ignore=tests/browser"]}
        pending = {b: (_start(b, pg_url, [*extra[b], *args], logs[b]), logs[b])
                   for b in backends}
        print(f"== running the suite on {' and '.join(backends)}", flush=True)
        try:
            while pending:
                for backend, (proc, log) in list(pending.items()):
                    if proc.poll() is None:
                        continue
                    del pending[backend]
                    took = time.monotonic() - started
                    print(f"\n== {backend}: exit {proc.returncode} after {took:.0f} s", flush=True)
                    sys.stdout.write(log.read_text(errors="replace"))
                    sys.stdout.flush()
                    if proc.returncode != 0:
                        failed.append(backend)
                time.sleep(0.5)
        finally:
            # an interrupted runner (Ctrl-C, a CI timeout) must not leave a suite running
            for proc, _ in pending.values():
                proc.terminate()
                proc.wait()
    if failed:
        print(f"\nFAIL: the suite failed on {' and '.join(failed)}")
        return 1
    print(f"\nOK: the suite passed on {' and '.join(backends)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
