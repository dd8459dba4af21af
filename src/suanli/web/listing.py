"""Pages of a long list: `?page=`, a search box `?q=` and a status filter `?status=`.

Every list that can grow takes a `ListQuery` and renders the `pager` macro of
`_list.html`, so no list silently stops at N rows: the pager says "41-60 of 230" and links
the other pages, keeping the search and the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
T = TypeVar("T")


def _page_size() -> int:
    return PAGE_SIZE  # read when a query is made, so that tests may make pages small


@dataclass(frozen=True)
class ListQuery:
    page: int = 1
    q: str = ""
    status: str = ""
    size: int = field(default_factory=_page_size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def matches(self, *texts: object) -> bool:
        """Whether any of the texts contains the search words (all of them), any case."""
        if not self.q:
            return True
        haystack = " ".join("" if t is None else str(t) for t in texts).casefold()
        return all(word in haystack for word in self.q.casefold().split())


def list_query(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page, from 1")] = 1,
    q: Annotated[str, Query(max_length=100, description="Search words")] = "",
    status: Annotated[str, Query(max_length=32, pattern=r"^[a-z_]*$")] = "",
) -> ListQuery:
    return ListQuery(page=page, q=q.strip(), status=status)


Listing = Annotated[ListQuery, Depends(list_query)]


def known(value: str, allowed: Iterable[object]) -> str | None:
    """A status filter naming a real status, else None (an old bookmark lists every row)."""
    return value if value in {str(a) for a in allowed} else None


@dataclass
class Pager:
    query: ListQuery
    total: int
    path: str
    extra: dict[str, str] = field(default_factory=dict)  # other filters to keep

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.size))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else min(self.query.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.query.offset + self.query.size, self.total)

    def href(self, page: int) -> str:
        params = {"q": self.query.q, "status": self.query.status, **self.extra,
                  "page": str(page) if page > 1 else ""}
        kept = {k: v for k, v in params.items() if v}
        return self.path + ("?" + urlencode(kept) if kept else "")

    def nearby(self) -> list[int]:
        """The page numbers to link: the first, the last and two either side of this one."""
        here = self.query.page
        shown = {1, self.pages, *range(max(1, here - 2), min(self.pages, here + 2) + 1)}
        return sorted(shown)


def paginate(rows: Sequence[T], query: ListQuery, path: str,
             keep: Callable[[T], bool] | None = None, **extra: str) -> tuple[list[T], Pager]:
    """One page of rows already in memory (after the `keep` filter), with its pager."""
    kept = [r for r in rows if keep is None or keep(r)]
    pager = Pager(query, len(kept), path, {k: v for k, v in extra.items() if v})
    return kept[query.offset:query.offset + query.size], pager
