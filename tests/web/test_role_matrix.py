"""Every route, every role: each gets exactly what its permission says.

Routes declare one permission through `Guard(...)`; this test finds it on each route,
calls the route as a member of every role, and checks that roles without the
permission get 403 and roles with it get past the guard (anything but 401/403).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.roles import Role, roles_with
from tests.web.routes import api_routes

# Routes anyone may call; everything else must carry exactly one permission guard.
PUBLIC = {
    ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/login"), ("POST", "/login"),
    ("POST", "/logout"), ("GET", "/lang/{code}"), ("GET", "/"), ("GET", "/market"),
    ("GET", "/confirm"),  # a form only; the action it posts to checks the permission
    ("GET", "/api/v1/market/index"), ("GET", "/api/v1/market/depth"), ("GET", "/favicon.ico"),
}


def _permission(route: APIRoute) -> list[str]:
    found: list[str] = []

    def walk(dependant: Any) -> None:
        perm = getattr(dependant.call, "permission", None)
        if perm is not None:
            found.append(str(perm))
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return sorted(set(found))


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    out = []
    for path, route in api_routes(app):
        if path not in ("/openapi.json", "/docs"):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, path, route))
    return out


def test_every_route_is_guarded_or_public(app: FastAPI) -> None:
    problems = []
    for method, path, route in _routes(app):
        perms = _permission(route)
        if (method, path) in PUBLIC:
            continue
        if len(perms) != 1:
            problems.append(f"{method} {path}: guards {perms or 'none'}")
    assert not problems, "\n".join(problems)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_its_permissions(
    app: FastAPI, client: TestClient, member: Callable[..., Any], role: Role, db: Session
) -> None:
    caller = member(role)
    wrong = []
    for method, path, route in _routes(app):
        if (method, path) in PUBLIC:
            continue
        (perm,) = _permission(route)
        allowed = role in roles_with(perm)
        # A fresh token each call: a route may revoke the one it was called with.
        token = auth_service.issue_token(db, user=caller.user, name="matrix").secret
        db.commit()
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"},
                                  "follow_redirects": False}
        if method in {"POST", "PUT", "PATCH"}:
            kwargs["json"] = {}
        response = client.request(method, _fill(path), **kwargs)
        got = response.status_code
        if allowed and got in (401, 403):
            wrong.append(f"{method} {path}: {role} holds {perm} but got {got}")
        if not allowed and got != 403:
            wrong.append(f"{method} {path}: {role} lacks {perm} but got {got}")
        if got >= 500:
            wrong.append(f"{method} {path}: {role} caused {got}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_callers_are_refused(app: FastAPI, client: TestClient) -> None:
    for method, path, _ in _routes(app):
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, _fill(path), follow_redirects=False,
                                  headers={"X-CSRF-Token": "x"}, cookies={"suanli_csrf": "x"})
        if path.startswith("/api/"):
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        else:
            assert response.status_code in (303, 401), f"{method} {path}: {response.status_code}"
