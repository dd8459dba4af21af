"""Bounded waits on the database: the settings, SQLite's in-process writer lane, and which
errors mean "busy, try again" (a 503 with `Retry-After`) or "lost a race, run it again".

Every wait a request can meet is bounded (see README, "Under load"): the admission gate in
front of the handlers, a pooled connection, SQLite's writer lane and busy timeout,
PostgreSQL's `lock_timeout` and `statement_timeout`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from suanli.kit.errors import AppError

# SQLSTATEs PostgreSQL uses for a transaction that lost a race and may simply be re-run.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


@dataclass(frozen=True)
class Waits:
    """How long anything may wait. Read from the environment by `from_env`."""

    pool_timeout_s: float = 5.0  # SUANLI_DB_POOL_TIMEOUT: for a pooled connection
    lock_timeout_ms: int = 5000  # SUANLI_DB_LOCK_TIMEOUT_MS: a lock / the writer lane
    statement_timeout_ms: int = 30000  # SUANLI_DB_STATEMENT_TIMEOUT_MS: web server, 0 = off
    max_in_flight: int = 20  # SUANLI_MAX_IN_FLIGHT: requests past the admission gate
    admission_wait_s: float = 5.0  # SUANLI_ADMISSION_WAIT: wait at the gate before a 503
    retries: int = 2  # SUANLI_DB_RETRIES: re-runs of a request that lost a deadlock

    @property
    def pool_size(self) -> int:
        return self.max_in_flight

    @property
    def max_overflow(self) -> int:
        # A request may hold a second connection (a read snapshot beside its transaction).
        return self.max_in_flight

    @classmethod
    def from_env(cls) -> Waits:
        env = os.environ.get
        return cls(
            pool_timeout_s=float(env("SUANLI_DB_POOL_TIMEOUT", "5")),
            lock_timeout_ms=int(env("SUANLI_DB_LOCK_TIMEOUT_MS", "5000")),
            statement_timeout_ms=int(env("SUANLI_DB_STATEMENT_TIMEOUT_MS", "30000")),
            max_in_flight=max(1, int(env("SUANLI_MAX_IN_FLIGHT", "20"))),
            admission_wait_s=float(env("SUANLI_ADMISSION_WAIT", "5")),
            retries=max(0, int(env("SUANLI_DB_RETRIES", "2"))),
        )


class DatabaseBusy(AppError):
    """The database (or the server in front of it) is busy; nothing was saved. Answered 503
    with `Retry-After`."""

    status = 503
    type_ = "database-unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail, retry_after=retry_after)


class WriterLane:
    """A first-come, first-served mutex for the writers of one SQLite database in this
    process, with a bounded wait. SQLite's own busy handler sleeps and polls, so a writer
    that arrived first may lose to later ones for many rounds; the lane hands the write lock
    over in arrival order and SQLite's busy timeout only covers other processes.

    The owner is any object (the driver connection); it may be released from a thread
    other than the one that acquired it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: deque[tuple[threading.Lock, object]] = deque()
        self.owner: object | None = None

    def acquire(self, owner: object, timeout: float) -> bool:
        with self._mutex:
            if self.owner is None and not self._queue:
                self.owner = owner
                return True
            turn = threading.Lock()
            turn.acquire()
            entry = (turn, owner)
            self._queue.append(entry)
        if turn.acquire(timeout=max(timeout, 0.0)):
            return True
        with self._mutex:
            if self.owner is owner:  # handed over just as the wait ran out
                return True
            self._queue.remove(entry)
            return False

    def release(self, owner: object) -> None:
        with self._mutex:
            if self.owner is not owner:
                return
            if self._queue:
                turn, self.owner = self._queue.popleft()
                turn.release()
            else:
                self.owner = None

    def waiting(self) -> int:
        return len(self._queue)


_lanes: dict[str, WriterLane] = {}
_lanes_mutex = threading.Lock()


def lane_for(key: str) -> WriterLane:
    """The process's writer lane of one SQLite database file."""
    with _lanes_mutex:
        return _lanes.setdefault(key, WriterLane())


def _sqlstate(exc: BaseException) -> str | None:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def is_sqlite_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "busy", raw from the driver or wrapped."""
    orig: Any = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(orig, sqlite3.OperationalError) and (
        "locked" in str(orig) or "busy" in str(orig))


def is_retryable(exc: BaseException) -> bool:
    """A PostgreSQL transaction that lost a race (deadlock, serialization failure) and did
    nothing lasting: running the request again may succeed."""
    return _sqlstate(exc) in RETRYABLE_SQLSTATES


def is_busy(exc: BaseException) -> bool:
    """The database was unreachable, busy or too slow: a 503 with Retry-After, not a 500.

    Covers the pool's timeout and SQLite's "database is locked" raised by the driver
    directly (neither is a SQLAlchemy OperationalError), every OperationalError (PostgreSQL's
    lock_timeout, statement_timeout, deadlocks and serialization failures are), and a
    connection the server dropped."""
    if isinstance(exc, (PoolTimeout, DatabaseBusy, OperationalError, sqlite3.OperationalError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
