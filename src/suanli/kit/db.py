"""The database: declarative base, engines for SQLite and PostgreSQL, sessions.

SQLite runs in WAL mode with foreign keys on, and write transactions begin with
`BEGIN IMMEDIATE` so that two writers never both hold a read lock they cannot upgrade
(see shared/notes/ledger.md).
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
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
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from suanli.kit.timeutil import as_utc

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


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the platform: pragmas and BEGIN IMMEDIATE on SQLite; on
    PostgreSQL a pool that replaces connections the server has closed."""
    if is_sqlite(url):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", 30)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        # Straight to the driver: through exec_driver_sql this statement cost more than the
        # INSERT of a ledger transfer (~60 us of SQLAlchemy's execution machinery).
        conn.connection.driver_connection.execute(_BEGIN[mode])


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
