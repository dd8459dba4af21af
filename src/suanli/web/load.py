"""Staying up under load: the admission gate, read sessions for GETs, and re-running a
request whose transaction lost a deadlock.

Sync handlers run on anyio's worker threads; a request holds a pooled connection (and on
SQLite perhaps the writer lane) across several thread hops. Without a bound on requests in
flight, waiters for a connection can hold every thread while the holders wait for a thread
to commit, and everything stalls until the pool's timeout. The gate admits at most
`max_in_flight` requests at once (fewer than the threads, no more than the pool), and a
request that waited `admission_wait_s` at the gate is answered 503 with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from suanli.kit.db import begin_immediately, read_first, reset_read_first
from suanli.kit.waits import Waits, is_retryable, is_sqlite_locked

READS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLAYABLE_BODY = 1 << 20  # bodies up to 1 MiB are kept so that a request can be re-run
THREAD_MARGIN = 8  # worker threads beyond the gate: static files, un-gated work


class Gate:
    """At most `size` requests past this point; a wait at the gate is bounded."""

    def __init__(self, size: int, wait_s: float) -> None:
        self.size = size
        self.wait_s = wait_s
        self._slots = asyncio.Semaphore(size)
        self._threads_sized = False

    async def enter(self) -> bool:
        if not self._threads_sized:
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.size + THREAD_MARGIN)
            self._threads_sized = True
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_s)
        except TimeoutError:
            return False
        return True

    def leave(self) -> None:
        self._slots.release()


def open_session(scope: Scope, factory: sessionmaker[Session]) -> Session:
    """The request's session. On SQLite a read (GET) begins a deferred transaction: it reads
    a WAL snapshot and never waits for writers (it joins the writer lane only if it
    writes). Other requests read who is calling in a deferred transaction too, and begin
    their write transaction after that (`kit.db.read_first`, `deps.optional_principal`)."""
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        if scope.get("method") in READS:
            return factory(bind=bind.execution_options(sqlite_begin="DEFERRED"))
        scope.setdefault("state", {})["db_read_first"] = read_first()
    return factory()


def close_session(scope: Scope) -> None:
    """Forget the request's begin mode (see `open_session`)."""
    token = scope.get("state", {}).pop("db_read_first", None)
    if token is not None:
        reset_read_first(token)


class RetryMiddleware:
    """Runs a request again (up to `retries` times, after a short random pause) when its
    transaction lost a race before anything was sent or committed: a PostgreSQL deadlock or
    serialization failure, or SQLite refusing a read transaction's late write (that run
    is repeated as a writer). The request's session is rolled back first."""

    def __init__(self, app: ASGIApp, retries: int) -> None:
        self.app = app
        self.retries = retries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.retries:
            await self.app(scope, receive, send)
            return
        body, whole = await _buffer(scope, receive)
        if not whole:  # a large upload: streamed once, never re-run
            await self.app(scope, _replay(body, receive), send)
            return
        for attempt in range(self.retries + 1):
            started = False

            async def watch(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, _replay(body, receive), watch)
                return
            except Exception as exc:
                if started or attempt == self.retries or not _rerunnable(scope, exc):
                    raise
            await _reset(scope)
            await anyio.sleep(random.uniform(0.002, 0.02) * (attempt + 1))


def _rerunnable(scope: Scope, exc: BaseException) -> bool:
    if is_retryable(exc):
        return True
    state = scope.get("state", {})
    if is_sqlite_locked(exc) and not state.get("db_as_writer"):
        # A read transaction whose late write SQLite refused (its snapshot was stale):
        # run it again as a writer from the start.
        state["db_as_writer"] = True
        begin_immediately()
        return True
    return False


async def _reset(scope: Scope) -> None:
    state: dict[str, Any] = scope.get("state", {})
    session: Session | None = state.get("db")
    if session is None:
        return
    await run_in_threadpool(session.rollback)
    if state.get("db_as_writer"):
        bind = state.get("db_factory_bind")
        if isinstance(bind, Engine):
            session.bind = bind


async def _buffer(scope: Scope, receive: Receive) -> tuple[list[Message], bool]:
    """The request's body messages read so far, and whether that is all of it (bodies over
    REPLAYABLE_BODY are not kept whole: such a request runs once)."""
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    if length is not None and length.isdigit() and int(length) > REPLAYABLE_BODY:
        return [], False
    if scope.get("method") in READS and length is None:  # no body: each run gets an empty one
        return [{"type": "http.request", "body": b"", "more_body": False}], True
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages, True
        size += len(message.get("body", b""))
        if size > REPLAYABLE_BODY:
            return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def install_load_guards(app: Any, waits: Waits) -> None:
    """The gate (used by the platform middleware) and the retrying middleware inside it."""
    app.state.waits = waits
    app.state.gate = Gate(waits.max_in_flight, waits.admission_wait_s)
    app.add_middleware(RetryMiddleware, retries=waits.retries)
