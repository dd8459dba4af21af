"""The OpenAPI document says every status and content type an operation can answer.

FastAPI documents only the success answer and a 422 in a shape this app never sends. Here,
in one place, each operation also gets the errors its dependencies and its path imply, all
as RFC 9457 `application/problem+json` (the shape `web/http.py` and `kit/errors.py` send):

- every operation: 422 (a parameter or the body broke a rule; `field` names it) and 503
  with `Retry-After` (the database or the server was busy; nothing was saved);
- a caller is read (a bearer token or a login session): 401;
- a permission is asked for, or the method changes something (CSRF without a token): 403;
- a path parameter names a row: 404;
- the method changes something (an Idempotency-Key reused with another body, a concurrent
  change at commit, a state that forbids the change): 409;
- a file is uploaded: 413.

It also adds OpenAPI links from each create operation to the operations that take the new
resource's id, which clients (and schemathesis' stateful phase) follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, UploadFile, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from suanli.deps import UNSAFE, optional_principal
from suanli.kit.nulls import null_refused

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong and, when known, which field.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, naming the field"},
        "instance": {"type": "string", "description": "The path that was asked for"},
        "field": {"type": "string", "description": "The field (or parameter) at fault"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying",
                               "required": True, "schema": {"type": "integer", "minimum": 0}}}
WHY = {
    401: "No valid credentials: send `Authorization: Bearer <token>` (or log in)",
    403: "Your roles do not grant this, or a browser request lacks its CSRF token",
    404: "No such resource (named in the path, the query or the body), or not one you may "
         "see",
    409: "The current state forbids the change, an Idempotency-Key was reused with "
         "another body, or a concurrent change won; nothing was saved",
    413: "The uploaded file is larger than the limit",
    422: "A parameter or the body broke a rule; `field` names it",
    503: "The database or the server was busy; nothing was saved; retry after `Retry-After`",
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency callable of a route, however deeply nested."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _uploads(dependant: Dependant) -> bool:
    return any(p.field_info.annotation in (UploadFile, UploadFile | None)
               for p in dependant.body_params)


def error_statuses(route: Any, method: str) -> list[int]:
    """The error statuses an operation can answer, from what it depends on and its path."""
    calls = list(_calls(route.dependant))
    statuses = {422, 503}
    if optional_principal in calls:
        statuses.add(401)
    if any(hasattr(call, "permission") for call in calls) or method in UNSAFE:
        statuses.add(403)
    if route.dependant.path_params or route.dependant.query_params \
            or route.dependant.body_params:
        statuses.add(404)  # an id in the path, the query or the body may name no row
    if method in UNSAFE:
        statuses.add(409)
    if _uploads(route.dependant):
        statuses.add(413)
    return sorted(statuses)


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": WHY.get(status, "A problem"),
                              "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if status == 503:
        answer["headers"] = RETRY_AFTER
    return answer


def _document_errors(schema: dict[str, Any], routes: list[Any]) -> None:
    for route in routes:
        operations = schema["paths"].get(route.path_format or "", {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status in sorted(declared | set(error_statuses(route, method))):
                declared = responses.get(str(status), {})
                # A route's own description of the status wins; the body is always a problem.
                responses[str(status)] = {**_problem(status),
                                          **{k: v for k, v in declared.items()
                                             if k == "description" and status != 422}}


BIGINT_MAX = 2**63 - 1


def _bound_numbers(node: Any, *, inputs: bool) -> None:
    """Say in the schemas what every input already meets: an integer fits a BIGINT (a
    larger one is refused, never stored), and an input decimal is a JSON number (pydantic
    also reads one from a string, in a grammar the document would not state)."""
    if isinstance(node, list):
        for item in node:
            _bound_numbers(item, inputs=inputs)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        node.setdefault("maximum", BIGINT_MAX)
        node.setdefault("minimum", -BIGINT_MAX)
    branches = node.get("anyOf")
    if inputs and isinstance(branches, list) and any(b.get("type") == "number"
                                                     for b in branches):
        node["anyOf"] = [b for b in branches if b != {"type": "string"}]
    for value in node.values():
        _bound_numbers(value, inputs=inputs)


def _refs(node: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    """The component schemas `node` refers to, directly or through others."""
    if isinstance(node, list):
        for item in node:
            _refs(item, components, seen)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                _refs(components.get(name), components, seen)
        for value in node.values():
            _refs(value, components, seen)
    return seen


def _bound_inputs(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    outputs = _refs([op.get("responses", {}) for op in operations], components, set())
    for operation in operations:
        _bound_numbers(operation.get("parameters", []), inputs=True)
        _bound_numbers(operation.get("requestBody", {}), inputs=True)
    for name, component in components.items():
        _bound_numbers(component, inputs=name not in outputs)


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _forms_without_null(schema: dict[str, Any]) -> None:
    """A form cannot send null (the text "null" is a value): an optional form field is
    left out instead, so the document offers no null there."""
    components = schema.get("components", {}).get("schemas", {})
    refuse = null_refused()
    for ops in schema["paths"].values():
        for operation in ops.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in FORMS:
                body = content.get(media, {}).get("schema", {})
                ref = body.get("$ref", "")
                refuse(components.get(ref.rsplit("/", 1)[-1], body) if ref else body)


def _api_routes(app: FastAPI) -> list[Any]:
    """The documented operations, as mounted (prefix and app-wide dependencies included):
    FastAPI 0.160 and later keep included routers nested and iterate them as route
    contexts; earlier versions copy each route into `app.routes`."""
    iterate = getattr(routing, "iter_route_contexts", None)
    if iterate is None:
        return [r for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    return [context for context in iterate(app.routes)
            if isinstance(context.original_route, APIRoute) and context.include_in_schema]


def build(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with every error answer and the links between operations."""
    from suanli.web.openapi_links import add_links

    routes = _api_routes(app)
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                         description=app.description, routes=app.routes)
    _document_errors(schema, routes)
    _bound_inputs(schema)
    _forms_without_null(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    add_links(schema)
    return schema


def install(app: FastAPI) -> None:
    """Serve `build(app)` (made once, on first request) as the app's /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
