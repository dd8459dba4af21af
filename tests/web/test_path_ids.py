"""Every route with an id in its path answers 404 (or 422) to an id no row can have: above
the largest BIGINT (PostgreSQL refuses to compare those), zero and negative. Never a 500.

The routes come from the app itself, so a new route is covered the day it is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from suanli.app import create_app
from suanli.auth.roles import Role, roles_with
from tests.market.helpers import cheap_passwords  # noqa: F401 - a fixture
from tests.web.routes import api_routes

pytestmark = pytest.mark.usefixtures("cheap_passwords")
BIGINT_MAX = 2**63 - 1
BAD_IDS = [str(BIGINT_MAX + 1), str(10**30), "0", "-1", str(-(2**63) - 1)]


def _permission(route: APIRoute) -> str | None:
    found: list[str] = []

    def walk(dependant: Any) -> None:
        perm = getattr(dependant.call, "permission", None)
        if perm is not None:
            found.append(str(perm))
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return found[0] if found else None


def _int_params(route: APIRoute) -> list[str]:
    return [p.name for p in route.dependant.path_params if p.field_info.annotation is int]


def _id_routes() -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    app = create_app(sessions=sessionmaker())
    out = []
    for path, route in api_routes(app):
        if _int_params(route):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, path, _permission(route),
                            tuple(_int_params(route))))
    return out


ID_ROUTES = _id_routes()


def test_the_routes_were_found() -> None:
    assert len(ID_ROUTES) > 40
    paths = {path for _, path, _, _ in ID_ROUTES}
    assert "/api/v1/vouchers/{voucher_id}" in paths
    assert "/programs/{program_id}" in paths


@pytest.mark.parametrize(("method", "path", "perm", "names"), ID_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ID_ROUTES])
def test_an_impossible_id_is_not_found(client: TestClient, member: Callable[..., Any],
                                       method: str, path: str, perm: str | None,
                                       names: tuple[str, ...]) -> None:
    role = next((r for r in Role if perm is None or r in roles_with(perm)), Role.PLATFORM_ADMIN)
    caller = member(role)
    wrong = []
    for bad in BAD_IDS:
        for name in names:
            url = re.sub(r"\{[^}]+\}", "1", path.replace("{" + name + "}", bad))
            kwargs: dict[str, Any] = {"headers": caller.headers, "follow_redirects": False}
            if method in {"POST", "PUT", "PATCH"}:
                kwargs["json"] = {}
            got = client.request(method, url, **kwargs).status_code
            if got not in (404, 422):
                wrong.append(f"{method} {url}: {got}")
    assert not wrong, "\n".join(wrong)


def test_an_impossible_id_in_a_body_or_query_is_refused(client: TestClient,
                                                          member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    for bad in (2**63, 10**30):
        created = client.post("/api/v1/applications", headers=buyer.headers,
                              json={"program_id": bad})
        assert created.status_code in (404, 422), created.text
        listed = client.get("/api/v1/applications", headers=buyer.headers,
                            params={"program_id": bad})
        assert listed.status_code in (200, 404, 422), listed.text
