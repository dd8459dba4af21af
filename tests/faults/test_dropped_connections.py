"""PostgreSQL cutting the server's connections mid-burst (pg_terminate_backend on the test
database's backends, as a restart of the database would; issue 14, Faults): the requests
in flight are answered 503 with Retry-After, none 500 and none left without an answer;
retried with their keys every one then succeeds once, and the books verify. The shared
server itself is never restarted."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger import service as ledger
from tests.conftest import BACKEND, PG_URL
from tests.faults.books import whole
from tests.faults.burst import BURST, SINK, Call, money_calls, stored
from tests.faults.server import Server

CUTS = 3


def _cut(database: str) -> int:
    """Terminate every backend of `database` but this one; how many."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).all())
    finally:
        admin.dispose()


def _post(url: str, call: Call) -> tuple[int, str | None, Any]:
    path, headers, body, key = call
    try:
        r = httpx.post(url + path, json=body, headers={**headers, "Idempotency-Key": key},
                       timeout=30)
    except httpx.HTTPError as exc:
        return 0, None, repr(exc)
    try:
        return r.status_code, r.headers.get("retry-after"), r.json()
    except ValueError:
        return r.status_code, r.headers.get("retry-after"), r.text


if BACKEND == "postgresql":  # SQLite has no server to drop a connection

    def test_backends_cut_mid_burst_answer_503_and_retries_apply_once(server: Server) -> None:
        calls = money_calls(server)
        database = str(make_url(server.database).database)
        barrier, answered, cut = threading.Barrier(len(calls) + 1), threading.Event(), [0]

        def one(call: Call) -> tuple[int, str | None, Any]:
            barrier.wait()
            answer = _post(server.url, call)
            answered.set()
            return answer

        with ThreadPoolExecutor(len(calls)) as pool:
            futures = [pool.submit(one, c) for c in calls]
            barrier.wait()
            assert answered.wait(timeout=60)
            for _ in range(CUTS):  # cut while the rest are in flight
                cut[0] += _cut(database)
                time.sleep(0.05)
            answers = [f.result() for f in futures]
        seen = Counter(status for status, _, _ in answers)
        assert cut[0], "no backend was cut"
        wrong = [a for a in answers if a[0] not in (200, 201, 503) or (a[0] == 503 and not a[1])]
        assert not wrong, f"{seen}; first: {wrong[0]}"
        assert seen[503], f"no request was in flight at the cuts: {seen}"
        for call, (status, _, _) in zip(calls, answers, strict=True):
            again, _, answer = _post(server.url, call)  # the client retries, same key
            assert again in (200, 201), (call[3], status, again, answer)
        _, moved, bought = stored(server.database)
        assert len(bought) == len(set(bought)) == BURST // 2
        assert moved == {c[2]["id"] for c in calls if "transfers" in c[0]}
        whole(server.database, "after the cuts and the retries")
        engine = make_engine(server.database)
        with unit_of_work(make_sessionmaker(engine)) as session:
            assert ledger.balance(session, SINK).posted == (BURST // 2) * 100
        engine.dispose()
