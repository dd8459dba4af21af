"""The session's own DBAPI connection, for the ledger's write path.

SQLAlchemy costs ~80 us per statement, more than SQLite's own work for a transfer, so the
write path (in `repository`) sends SQL text through the DBAPI cursor of the connection the
session already holds: same transaction, same BEGIN IMMEDIATE, same locks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from suanli.kit.db import UTCDateTime

SCALARS = 8  # up to this many values, IN (%s, ...) on PostgreSQL; beyond, one array


class Raw:
    """The session's DBAPI connection with the dialect's placeholders and time format."""

    def __init__(self, session: Session) -> None:
        conn = session.connection()
        self.pg = conn.dialect.name == "postgresql"
        self.dbapi = conn.connection
        self.integrity_error: type[Exception] = conn.dialect.loaded_dbapi.IntegrityError
        self.dbapi_error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self.time_in, self.time_out = _time_processors(conn.dialect)

    def any_of(self, column: str, values: Collection[Any], cast: str) -> tuple[str, list[Any]]:
        """`column IN (...)`. On PostgreSQL a few scalars let it reuse one generic plan (an
        array keeps it re-planning), while a long list plans faster as one array."""
        if self.pg and len(values) > SCALARS:
            return f"{column} = ANY(%s::{cast}[])", [list(values)]
        mark = "%s" if self.pg else "?"
        return f"{column} IN ({', '.join([mark] * len(values))})", list(values)

    @contextmanager
    def _translated(self, text: str) -> Iterator[None]:
        """The driver's errors as SQLAlchemy's statements raise them (an OperationalError
        for a dropped connection, hence a 503), its cause kept in `.orig`."""
        try:
            yield
        except self.integrity_error as exc:
            raise IntegrityError(text, None, exc) from exc
        except self.dbapi_error as exc:
            raise DBAPIError.instance(text, None, exc, self.dbapi_error) from exc

    def query(self, text: str, params: Sequence[Any]) -> list[Any]:
        cursor = self.dbapi.cursor()
        try:
            with self._translated(text):
                cursor.execute(text, params)
                return list(cursor.fetchall())
        finally:
            cursor.close()

    def queries(self, statements: list[tuple[str, list[Any]]]) -> list[list[Any]]:
        """Run the statements in order; on PostgreSQL in one pipeline (one round trip)."""
        if not self.pg or len(statements) < 2:
            return [self.query(text, params) for text, params in statements]
        driver = self.dbapi.driver_connection
        assert driver is not None
        cursors = [self.dbapi.cursor() for _ in statements]
        try:
            with self._translated(statements[0][0]):
                with driver.pipeline():
                    for cursor, (text, params) in zip(cursors, statements, strict=True):
                        cursor.execute(text, params)
                return [list(cursor.fetchall()) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def execute(self, text: str, params: Sequence[Any]) -> None:
        cursor = self.dbapi.cursor()
        try:
            with self._translated(text):
                cursor.execute(text, params)
        finally:
            cursor.close()

    def many(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """executemany each statement; on PostgreSQL all in one pipeline (one round trip)."""
        cursor = self.dbapi.cursor()
        driver = self.dbapi.driver_connection
        try:
            with self._translated(statements[0][0] if statements else ""), (
                    driver.pipeline() if self.pg and driver is not None else nullcontext()):
                for text, rows in statements:
                    cursor.executemany(text.replace("?", "%s") if self.pg else text, rows)
        finally:
            cursor.close()


@cache
def _time_processors(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The ORM's own conversions for UTCDateTime, so both paths store the same text."""
    column = UTCDateTime().dialect_impl(dialect)
    bind = column.bind_processor(dialect) or (lambda v: v)
    result = column.result_processor(dialect, None) or (lambda v: v)
    return bind, result
