"""The engines' connection handling: SQLite's write lock from BEGIN, PostgreSQL's pool
replacing connections the server closed while they sat idle."""

from __future__ import annotations

import socket
import sqlite3
import time

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from suanli.kit import db
from suanli.kit.db import (
    make_engine,
    make_sessionmaker,
    read_snapshot,
    readable_now,
    reader,
    unit_of_work,
)
from tests.conftest import BACKEND


def test_a_socket_is_readable_only_once_its_peer_speaks_or_hangs_up() -> None:
    ours, peer = socket.socketpair()
    try:
        assert readable_now(ours.fileno()) is False
        peer.sendall(b"E")  # what PostgreSQL sends before it closes: an error message
        assert readable_now(ours.fileno()) is True
        ours.recv(1)
        assert readable_now(ours.fileno()) is False
        peer.close()  # end-of-file is readable too
        assert readable_now(ours.fileno()) is True
    finally:
        ours.close()
        if peer.fileno() != -1:
            peer.close()


def _sqlite_write_lock_taken(path: str) -> bool:
    """Whether another connection is refused the write lock right now."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        other.close()
        assert "locked" in str(exc)
        return True
    other.execute("ROLLBACK")
    other.close()
    return False



def test_a_read_snapshot_sees_one_moment_while_others_commit(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE moments (n INTEGER)"))
            conn.execute(text("INSERT INTO moments VALUES (1)"))
        count = text("SELECT count(*) FROM moments")
        with read_snapshot(engine) as snapshot:
            assert snapshot.execute(count).scalar_one() == 1
            # Another writer commits meanwhile (on SQLite it would wait out a write lock).
            with unit_of_work(make_sessionmaker(engine)) as session:
                session.execute(text("INSERT INTO moments VALUES (2)"))
            assert snapshot.execute(count).scalar_one() == 1
        with read_snapshot(engine) as snapshot:
            assert snapshot.execute(count).scalar_one() == 2
    finally:
        engine.dispose()


if BACKEND == "sqlite":

    def test_a_write_transaction_holds_the_write_lock_from_its_first_statement(
            fresh_database: str) -> None:
        path = make_url(fresh_database).database
        assert path is not None
        engine = make_engine(fresh_database)
        sessions = make_sessionmaker(engine)
        try:
            with unit_of_work(sessions) as session:
                session.execute(text("SELECT 1"))
                assert _sqlite_write_lock_taken(path)
            assert not _sqlite_write_lock_taken(path)
            with unit_of_work(make_sessionmaker(reader(engine))) as session:
                session.execute(text("SELECT 1"))  # a reader begins deferred: no write lock
                assert not _sqlite_write_lock_taken(path)
        finally:
            engine.dispose()

else:

    def _terminate(admin: Engine, pid: int) -> None:
        """What a restart or an idle timeout does to one server process, waited out."""
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                {"pid": pid}).scalar_one() is True
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with admin.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                    {"p": pid}).scalar_one():
                    return
            time.sleep(0.02)

    def test_a_connection_the_server_closed_while_pooled_is_replaced_at_checkout(
            fresh_database: str) -> None:
        engine = make_engine(fresh_database, pool_size=1, max_overflow=0)
        admin = create_engine(fresh_database, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            _terminate(admin, first)
            with unit_of_work(make_sessionmaker(engine)) as session:
                second = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            assert second != first
        finally:
            engine.dispose()
            admin.dispose()

    def test_without_the_check_the_closed_connection_reaches_the_caller(
            fresh_database: str) -> None:
        """The control: the same steps with the check off fail, so the test above can."""
        engine = make_engine(fresh_database, pool_size=1, max_overflow=0)
        event.remove(engine, "checkout", db._refuse_closed_connection)
        admin = create_engine(fresh_database, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            _terminate(admin, first)
            with pytest.raises(OperationalError, match=r"terminat|closed"), \
                    engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
            admin.dispose()
