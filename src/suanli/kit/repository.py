"""Helpers shared by repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def count(session: Session, stmt: Select[Any]) -> int:
    """The number of rows a select would return, ignoring its ordering."""
    sub = stmt.order_by(None).subquery()
    return int(session.execute(select(func.count()).select_from(sub)).scalar_one())


def paged(
    session: Session, stmt: Select[T], *, limit: int, offset: int
) -> tuple[list[T], int]:
    """One page of a select's rows and the total."""
    total = count(session, stmt)
    rows = list(session.execute(stmt.limit(limit).offset(offset)).scalars())
    return rows, total
