"""Bounded waits and "try later" answers (issue 14): busy databases are 503 with
Retry-After, deadlocks are re-run, SQLite readers never wait for writers and writers queue
in arrival order, PostgreSQL lock waits are bounded."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from suanli.app import create_app
from suanli.auth.roles import Role
from suanli.kit.db import make_engine, make_sessionmaker
from suanli.kit.waits import DatabaseBusy, Waits, WriterLane
from suanli.web.load import Gate
from tests.conftest import BACKEND

FAIL = "/api/v1/test-only/fail"


def _app(sessions: sessionmaker[Session], handler: Callable[..., object],
         method: str = "GET") -> FastAPI:
    app = create_app(sessions=sessions)
    app.add_api_route(FAIL, handler, methods=[method])
    return app


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


BUSY = [
    PoolTimeout("QueuePool limit of size 20 overflow 20 reached, timed out"),
    sqlite3.OperationalError("database is locked"),
    OperationalError("SELECT 1", {}, _Orig("canceling statement due to lock timeout",
                                           "55P03")),
    OperationalError("SELECT 1", {}, _Orig("canceling statement due to statement timeout",
                                           "57014")),
    DatabaseBusy("the database is busy: 3 writers are queued"),
]


@pytest.mark.parametrize("error", BUSY, ids=lambda e: type(e).__name__)
def test_a_busy_database_is_503_with_retry_after_never_500(
        sessions: sessionmaker[Session], error: Exception) -> None:
    def busy(request: Request) -> object:
        raise error

    with TestClient(_app(sessions, busy)) as client:
        response = client.get(FAIL)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"].endswith("/database-unavailable")


def test_a_deadlock_is_run_again_with_the_same_body(sessions: sessionmaker[Session]) -> None:
    seen: list[dict[str, Any]] = []

    async def deadlocks_once(request: Request) -> object:
        seen.append(await request.json())
        if len(seen) == 1:
            raise OperationalError("UPDATE", {}, _Orig("deadlock detected", "40P01"))
        return {"runs": len(seen)}

    app = _app(sessions, deadlocks_once, "POST")
    with TestClient(app, cookies={"suanli_csrf": "t"}) as client:
        response = client.post(FAIL, json={"a": 1}, headers={"X-CSRF-Token": "t"})
    assert response.status_code == 200, response.text
    assert seen == [{"a": 1}, {"a": 1}]


def test_a_deadlock_that_stays_one_is_503_after_the_retries(
        sessions: sessionmaker[Session]) -> None:
    runs = []

    def always(request: Request) -> object:
        runs.append(1)
        raise OperationalError("UPDATE", {}, _Orig("could not serialize access", "40001"))

    with TestClient(_app(sessions, always)) as client:
        response = client.get(FAIL)
    assert response.status_code == 503
    assert len(runs) == 1 + Waits().retries


def test_the_admission_gate_answers_503_when_full(sessions: sessionmaker[Session]) -> None:
    class Full(Gate):
        async def enter(self) -> bool:
            return False

    app = _app(sessions, lambda: {"ok": True})
    app.state.gate = Full(20, 5.0)
    with TestClient(app) as client:
        response = client.get(FAIL)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "requests in flight" in response.json()["detail"]


def test_the_gate_bounds_requests_in_flight_and_the_wait() -> None:
    async def scenario() -> list[bool]:
        gate = Gate(2, 0.05)
        got = [await gate.enter(), await gate.enter(), await gate.enter()]
        gate.leave()
        got.append(await gate.enter())
        return got

    # A thread of its own: the browser tests' sync Playwright leaves this thread's loop running.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == [True, True, False, True]


def test_the_writer_lane_serves_writers_in_arrival_order_and_bounds_the_wait() -> None:
    lane = WriterLane()
    assert lane.acquire("first", 1)
    order: list[str] = []

    def writer(name: str) -> None:
        assert lane.acquire(name, 5)
        order.append(name)
        lane.release(name)

    threads = []
    for name in ("a", "b", "c", "d"):
        threads.append(threading.Thread(target=writer, args=(name,)))
        threads[-1].start()
        while lane.waiting() < len(threads):
            time.sleep(0.001)
    started = time.monotonic()
    assert not lane.acquire("late", 0.05)  # a bounded wait, then it leaves the queue
    assert 0.04 < time.monotonic() - started < 1
    assert lane.waiting() == 4
    lane.release("first")
    for thread in threads:
        thread.join(5)
    assert order == ["a", "b", "c", "d"]
    assert lane.owner is None


@pytest.fixture
def quick_engine(fresh_database: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database, waits=Waits(lock_timeout_ms=300))
    yield engine
    engine.dispose()


def _touch(request: Request) -> object:
    request.state.db.execute(text("UPDATE organisations SET name = name WHERE 0"))
    return {}


def _advisory(request: Request) -> object:
    request.state.db.execute(text("SELECT pg_advisory_xact_lock(14)"))
    return {}


def _token(factory: sessionmaker[Session]) -> dict[str, str]:
    from tests.races.conftest import Live

    return Live("", factory.kw["bind"], factory, None).member(  # type: ignore[arg-type]
        Role.BUYER, "load-ai")


if BACKEND == "sqlite":

    def test_sqlite_reads_never_wait_for_a_writer_and_writes_wait_a_bounded_time(
            quick_engine: Engine) -> None:
        factory = make_sessionmaker(quick_engine)
        headers = _token(factory)
        app = _app(factory, _touch, "POST")
        other = sqlite3.connect(quick_engine.url.database or "", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the write lock
        try:
            with TestClient(app) as client:
                started = time.monotonic()
                me = client.get("/api/v1/me", headers=headers)
                read_s = time.monotonic() - started
                started = time.monotonic()
                write = client.post(FAIL, headers=headers)
                write_s = time.monotonic() - started
        finally:
            other.rollback()
            other.close()
        assert me.status_code == 200 and read_s < 0.25, (me.status_code, read_s)
        assert write.status_code == 503 and write.headers["Retry-After"] == "1"
        assert 0.25 < write_s < 2


if BACKEND == "postgresql":

    def test_postgresql_lock_waits_and_statements_are_bounded(quick_engine: Engine,
                                                              fresh_database: str) -> None:
        web = make_engine(fresh_database, waits=Waits(lock_timeout_ms=300),
                          statement_timeout_ms=4000)
        with web.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "300ms"
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "4s"
        web.dispose()
        app = _app(make_sessionmaker(quick_engine), _advisory)
        with quick_engine.connect() as holder, TestClient(app) as client:
            holder.execute(text("SELECT pg_advisory_xact_lock(14)"))
            started = time.monotonic()
            response = client.get(FAIL)
            waited = time.monotonic() - started
            holder.rollback()
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert 0.25 < waited < 2
