"""uvicorn serving the platform in a process of its own that a test may SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.races.served import ROOT, free_port


class Server:
    """`uvicorn suanli.app:create_app` on `url`; `kill()` is SIGKILL, `start()` again."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.database, self.data_dir = url, data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        port = free_port()
        env = {**os.environ, "SUANLI_DATABASE_URL": self.database,
               "SUANLI_DATA_DIR": str(self.data_dir),
               "SUANLI_SECRET_KEY": "test-secret-key-not-for-production"}
        log = (self.data_dir / f"server-{port}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "suanli.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--no-access-log"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, "the server exited"
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                return self.url
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
