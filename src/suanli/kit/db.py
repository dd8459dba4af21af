"""The database: declarative base, engines for SQLite and PostgreSQL, sessions.

SQLite runs in WAL mode with foreign keys on, and write transactions begin with
`BEGIN IMMEDIATE` so that two writers never both hold a read lock they cannot upgrade
(see shared/notes/ledger.md); this process's writers queue for it in a first-come writer
lane (`suanli.kit.waits.WriterLane`). Every wait is bounded (`suanli.kit.waits.Waits`).
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from suanli.kit.timeutil import as_utc
from suanli.kit.waits import DatabaseBusy, Waits, WriterLane, lane_for

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use suanli.kit.timeutil.utcnow()")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


# SQLite autoincrements only an INTEGER PRIMARY KEY (its rowid); BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JSONDoc = JSON()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, waits: Waits | None = None, statement_timeout_ms: int = 0,
                **kwargs: Any) -> Engine:
    """An engine configured for the platform: pragmas, BEGIN IMMEDIATE and the writer lane
    on SQLite; on PostgreSQL `lock_timeout` (and `statement_timeout` when given: the web
    server's) on every connection and a pool that replaces connections the server has
    closed. Pool waits are bounded by `waits` (default: from the environment)."""
    waits = waits or Waits.from_env()
    connect_args = kwargs.pop("connect_args", {})
    if is_sqlite(url):
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", waits.lock_timeout_ms / 1000)
        if _file_database(url):
            kwargs.setdefault("pool_timeout", waits.pool_timeout_s)
            kwargs.setdefault("pool_size", waits.pool_size)
            kwargs.setdefault("max_overflow", waits.max_overflow)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, waits)
        return engine
    options = [f"-c lock_timeout={waits.lock_timeout_ms}"]
    if statement_timeout_ms:
        options.append(f"-c statement_timeout={statement_timeout_ms}")
    connect_args["options"] = " ".join([connect_args.get("options", ""), *options]).strip()
    kwargs.setdefault("pool_timeout", waits.pool_timeout_s)
    kwargs.setdefault("pool_size", waits.pool_size)
    kwargs.setdefault("max_overflow", waits.max_overflow)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _file_database(url: str) -> bool:
    database = make_url(url).database
    return bool(database) and database != ":memory:" and "mode=memory" not in url


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection the server closed while it sat idle (a restart, an idle
    timeout, an administrator's terminate) before a request gets it.

    An idle PostgreSQL connection has nothing to read, so a readable socket means the
    server's goodbye or end-of-file. This costs a syscall where `pool_pre_ping` costs a round
    trip (measured at ~8 % of a ledger transfer with four clients); a connection cut without
    a word (a network partition) still fails its first statement, as it would mid-request.
    """
    if idle_connection_closed(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection while it was idle")


def idle_connection_closed(dbapi_connection: Any) -> bool:
    """True when the driver knows the connection is closed or its socket has data waiting."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    return readable_now(dbapi_connection.fileno())


def readable_now(fd: int) -> bool:
    """Whether reading `fd` would not block: data or end-of-file waits (polled, no wait)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # pragma: no cover - no poll on Windows


_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN DEFERRED",
          "EXCLUSIVE": "BEGIN EXCLUSIVE"}


def _configure_sqlite(engine: Engine, waits: Waits) -> None:
    database = engine.url.database
    lane = lane_for(os.path.abspath(database) if database and _file_database(str(engine.url))
                    else f"engine-{id(engine)}")
    lane_wait = waits.lock_timeout_ms / 1000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        # Other processes' writers (the worker, a CLI job): SQLite's busy handler, bounded.
        cursor.execute(f"PRAGMA busy_timeout={int(waits.lock_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin") or _request_begin()
        driver = conn.connection.driver_connection
        if mode != "DEFERRED":
            _enter_lane(lane, driver, lane_wait)
        try:
            # Straight to the driver: through exec_driver_sql this statement cost more than
            # the INSERT of a ledger transfer (~60 us of SQLAlchemy's execution machinery).
            driver.execute(_BEGIN[mode])
        except BaseException:
            lane.release(driver)
            raise

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # A read transaction (a GET) that starts writing joins the lane before it does.
        driver = conn.connection.driver_connection
        if lane.owner is not driver and statement.lstrip()[:6].upper() in _WRITES:
            _enter_lane(lane, driver, lane_wait)

    _release_lane_on_end(engine, lane)


# A request that may write reads first (who is calling) in a deferred transaction, then,
# once `writes_begin` is called, begins its write transaction: the write lock (and the
# lane) is not held while the caller is being authenticated. One mutable cell per request.
_begin_mode: ContextVar[list[str] | None] = ContextVar("suanli_sqlite_begin", default=None)


def _request_begin() -> str:
    cell = _begin_mode.get()
    return cell[0] if cell else "IMMEDIATE"


def read_first() -> Token[list[str] | None]:
    """This request's SQLite transactions begin deferred until `writes_begin`."""
    return _begin_mode.set(["DEFERRED"])


def reset_read_first(token: Token[list[str] | None]) -> None:
    _begin_mode.reset(token)


def begin_immediately() -> None:
    """From now on this request's SQLite transactions begin `BEGIN IMMEDIATE`."""
    cell = _begin_mode.get()
    if cell:
        cell[0] = "IMMEDIATE"


def writes_begin(session: Session, *, clean: bool) -> None:
    """End the request's deferred read transaction (when `clean`: nothing to write yet) so
    that the next one begins `BEGIN IMMEDIATE`; nothing to do outside `read_first`."""
    cell = _begin_mode.get()
    if not cell or cell[0] != "DEFERRED":
        return
    cell[0] = "IMMEDIATE"
    if clean and session.in_transaction():
        session.commit()


_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC"})


def _enter_lane(lane: WriterLane, driver: Any, wait: float) -> None:
    if not lane.acquire(driver, wait):
        raise DatabaseBusy(f"the database is busy: {lane.waiting()} writers are queued "
                           f"and this one waited {wait:g} s; nothing was saved; retry")


def _release_lane_on_end(engine: Engine, lane: WriterLane) -> None:
    """Leave the lane once the transaction has ended: after COMMIT or ROLLBACK (also the
    pool's rollback on check-in), or when the connection is closed or invalidated."""
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            lane.release(getattr(dbapi_connection, "driver_connection", dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            lane.release(getattr(dbapi_connection, "driver_connection", dbapi_connection))

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - this engine's dialect only
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010

    def _gone(dbapi_connection: Any, *_args: Any) -> None:
        lane.release(dbapi_connection)

    for name in ("close", "invalidate", "soft_invalidate", "close_detached"):
        event.listen(engine, name, _gone)


def reader(engine: Engine) -> Engine:
    """The same database for read-only work that sees one moment throughout a transaction.

    SQLite begins deferred: a WAL snapshot from the first read, and writers carry on.
    PostgreSQL runs REPEATABLE READ, READ ONLY: every statement sees the snapshot of the
    first, where READ COMMITTED would let a check that reads in several statements see a
    transfer's effects in one and not in the next.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session on `reader(engine)` (one snapshot, no write lock); never commits."""
    session = Session(bind=reader(engine), expire_on_commit=False, autoflush=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def snapshot_of(session: Session) -> Iterator[Session]:
    """`read_snapshot` on the database of `session`; a session bound to a Connection (an
    open transaction of its caller's, as in the tests) is used as it is."""
    bind = session.get_bind()
    if isinstance(bind, Engine):
        with read_snapshot(bind) as snapshot:
            yield snapshot
    else:
        yield session


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends cleanly, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
