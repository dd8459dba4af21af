"""Idempotency-Key: a replay returns the first answer; another body under the key is 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from suanli.auth.roles import Role


def _orgs(client: TestClient, headers: dict[str, str]) -> set[str]:
    page = client.get("/api/v1/organisations?limit=500", headers=headers).json()
    return {o["slug"] for o in page["items"]}


def test_replay_returns_first_response(client: TestClient, member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "create-gamma-1"}
    body = {"slug": "gamma-ai", "name": "Gamma AI", "kind": "startup"}
    first = client.post("/api/v1/organisations", json=body, headers=headers)
    second = client.post("/api/v1/organisations", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert "gamma-ai" in _orgs(client, admin.headers)


def test_same_key_different_body_is_conflict(client: TestClient,
                                             member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "k-2"}
    client.post("/api/v1/organisations", json={"slug": "delta-ai", "name": "D", "kind": "startup"},
                headers=headers)
    response = client.post("/api/v1/organisations",
                           json={"slug": "epsilon-ai", "name": "E", "kind": "startup"},
                           headers=headers)
    assert response.status_code == 409
    assert response.json()["field"] == "Idempotency-Key"
    assert "epsilon-ai" not in _orgs(client, admin.headers)


def test_failed_request_does_not_burn_the_key(client: TestClient,
                                              member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    headers = {**admin.headers, "Idempotency-Key": "k-3"}
    member(Role.BUYER, org="taken-ai")
    bad = client.post("/api/v1/organisations", json={"slug": "taken-ai", "name": "T",
                                                     "kind": "startup"}, headers=headers)
    assert bad.status_code == 409
    good = client.post("/api/v1/organisations", json={"slug": "taken-ai", "name": "T",
                                                      "kind": "startup"}, headers=headers)
    assert good.status_code == 409  # same body, still a conflict, and not a replay
    assert good.headers.get("Idempotent-Replayed") is None


def test_keys_are_scoped_per_user(client: TestClient, member: Callable[..., Any]) -> None:
    one = member(Role.PLATFORM_ADMIN)
    two = member(Role.PLATFORM_ADMIN)
    key = {"Idempotency-Key": "shared-key"}
    a = client.post("/api/v1/organisations", headers={**one.headers, **key},
                    json={"slug": "zeta-ai", "name": "Z", "kind": "startup"})
    b = client.post("/api/v1/organisations", headers={**two.headers, **key},
                    json={"slug": "eta-ai", "name": "H", "kind": "startup"})
    assert a.status_code == b.status_code == 201
