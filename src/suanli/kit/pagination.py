"""Limit/offset pagination shared by list routes."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page (1-500)")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Items to skip (0-10^9)")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
