"""Each plain-`def` endpoint in one worker-thread hop, its transaction ended in that hop.

FastAPI runs a `def` endpoint on a worker thread, then validates its answer on another
(when the route has a response model), and the platform middleware commits on a third:
each hop is a round trip through the event loop, and the request's locks (SQLite's
writer lane, PostgreSQL's row locks, the audit chain's head) are held across all of them.
`install` wraps every such endpoint in an `async def` that makes one hop: the endpoint,
its answer validated against the response model while the session is still open, and the
commit (or the rollback of an AppError). The platform middleware then finds the
transaction ended and answers without another hop.

The transaction is left to the middleware when it must be: a request that claimed an
Idempotency-Key (its answer is stored in the same commit), an answer of 400 or more, a
streaming answer (it may read the database while it streams), or an answer that cannot be
validated here (no response model, not a plain value).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from typing import Any

from fastapi import FastAPI, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, StreamingResponse

from suanli.kit.errors import AppError, Conflict

_state: ContextVar[dict[str, Any] | None] = ContextVar("suanli_request_state", default=None)
_PLAIN = (BaseModel, str, int, float, bool, type(None))
_MARK = "_suanli_one_hop"


def bind(state: dict[str, Any]) -> Token[dict[str, Any] | None]:
    """The request's state (its session, its idempotency claim) for its endpoint's hop."""
    return _state.set(state)


def unbind(token: Token[dict[str, Any] | None]) -> None:
    _state.reset(token)


def install(app: FastAPI) -> None:
    """Wrap every `def` endpoint of the app's routers (once: the routers are shared)."""
    for route in _api_routes(app.router.routes):
        call = route.endpoint
        if inspect.isfunction(call) and not inspect.iscoroutinefunction(call) \
                and not getattr(call, _MARK, False):
            route.endpoint = _one_hop(call, route.response_model)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.165)
            yield from _api_routes(route.original_router.routes)


class _Model:
    """The route's response model as a TypeAdapter, built on first use."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._adapter: TypeAdapter[Any] | None = None

    def validate(self, value: Any) -> Any:
        if self._adapter is None:
            self._adapter = TypeAdapter(self.model)
        return self._adapter.validate_python(value, from_attributes=True)


def _one_hop(call: Callable[..., Any], model: Any) -> Callable[..., Any]:
    holder = _Model(model) if model is not None else None

    @functools.wraps(call)
    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(_run, call, holder, args, kwargs)

    setattr(endpoint, _MARK, True)
    return endpoint


def _run(call: Callable[..., Any], model: _Model | None, args: tuple[Any, ...],
         kwargs: dict[str, Any]) -> Any:
    state = _state.get()
    session: Session | None = state.get("db") if state is not None else None
    if state is None or session is None:
        return call(*args, **kwargs)
    try:
        result = call(*args, **kwargs)
    except AppError:
        session.rollback()  # an answer of 400 or more: nothing to keep, locks go now
        raise
    if state.get("idempotency_claim") is not None:
        return result
    if isinstance(result, Response):
        if result.status_code >= 400 or isinstance(result, (StreamingResponse, FileResponse)):
            return result
    elif not isinstance(result, _PLAIN):
        if model is None:
            return result
        result = model.validate(result)  # reads what it needs while the session is open
    _commit(session)
    return result


def _commit(session: Session) -> None:
    """Commit (the middleware's answers to a failed commit: busy is a 503 from the
    exception, a late constraint a 409; a deadlock is re-run by the retrying middleware)."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("the change conflicted with a concurrent one and was not saved; "
                       "retry", field="body") from exc
    except BaseException:
        session.rollback()
        raise
