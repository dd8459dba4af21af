"""Bursts of HTTP requests released together, from threads of this process or from
several client processes, against a live server.

``python -m tests.races.burst FILE`` is the client process: it reads its calls from FILE,
opens its connections, prints "ready", waits for "go" on stdin, sends every call at once
from threads of its own and prints the answers as one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0
MODES = ("threads", "processes")


@dataclass(frozen=True)
class Call:
    """One request: a path under the server, with a JSON body or form fields."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (a timeout or a broken connection)
    body: Any
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _send(client: httpx.Client, base: str, call: Call) -> Answer:
    try:
        response = client.request(call.method, base + call.path, headers=call.headers,
                                  json=call.json, data=call.data)
    except httpx.HTTPError as exc:
        return Answer(0, f"{type(exc).__name__}: {exc}")
    try:
        body = response.json()
    except ValueError:
        body = response.text[:20000]
    return Answer(response.status_code, body, response.headers.get("retry-after"))


def _together(base: str, calls: list[Call], start: threading.Event | None = None
              ) -> list[Answer]:
    """Each call on a thread and a connection of its own, all released at once."""
    if not calls:
        return []
    clients = [httpx.Client(timeout=TIMEOUT) for _ in calls]
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> Answer:
        barrier.wait()
        if start is not None:
            start.wait()
        return _send(clients[i], base, calls[i])

    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(run, range(len(calls))))
    finally:
        for client in clients:
            client.close()


def burst(base: str, calls: list[Call], *, mode: str = "threads", processes: int = 4
          ) -> list[Answer]:
    """Send every call at once (threads of this process, or spread over client processes);
    the answers in the order of the calls."""
    if mode == "threads":
        return _together(base, calls)
    assert mode == "processes", mode
    shares = [list(range(len(calls)))[i::processes] for i in range(processes)]
    shares = [share for share in shares if share]
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for n, share in enumerate(shares):
            path = Path(tmp) / f"calls-{n}.json"
            path.write_text(json.dumps({"base": base,
                                        "calls": [asdict(calls[i]) for i in share]}))
            procs.append(subprocess.Popen([sys.executable, "-m", "tests.races.burst",
                                           str(path)], cwd=ROOT, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True))
        try:
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready"
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            outputs = [proc.communicate(timeout=TIMEOUT + 60)[0] for proc in procs]
        finally:
            for proc in procs:
                proc.kill()
    answers: list[Answer | None] = [None] * len(calls)
    for share, out in zip(shares, outputs, strict=True):
        got = json.loads(out.strip().splitlines()[-1])
        for i, answer in zip(share, got, strict=True):
            answers[i] = Answer(answer["status"], answer["body"], answer["retry_after"])
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(a.status for a in answers)


def assert_only(answers: list[Answer], allowed: set[int]) -> None:
    """Every request got one of the allowed answers (never a 5xx other than a 503, never
    silence); a 503 must say when to retry."""
    wrong = [a for a in answers if a.status not in allowed
             or (a.status == 503 and not a.retry_after)]
    assert not wrong, f"{statuses(answers)}; first unexpected: {wrong[0]}"


def _main(path: str) -> None:
    spec = json.loads(Path(path).read_text())
    calls = [Call(**c) for c in spec["calls"]]
    start = threading.Event()
    result: list[list[Answer]] = []
    worker = threading.Thread(target=lambda: result.append(_together(spec["base"], calls,
                                                                     start)))
    worker.start()
    print("ready", flush=True)
    sys.stdin.readline()
    start.set()
    worker.join()
    print(json.dumps([asdict(a) for a in result[0]]), flush=True)


if __name__ == "__main__":
    _main(sys.argv[1])
