"""Organisation scoping: a member of one startup cannot see another's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from suanli.auth.roles import Role


def test_buyer_sees_only_own_organisation(client: TestClient, member: Callable[..., Any]) -> None:
    alpha = member(Role.BUYER, org="alpha-ai")
    beta = member(Role.BUYER, org="beta-ai")
    seen = {o["slug"] for o in client.get("/api/v1/organisations", headers=alpha.headers)
            .json()["items"]}
    assert seen == {"alpha-ai"}
    seen = {o["slug"] for o in client.get("/api/v1/organisations", headers=beta.headers)
            .json()["items"]}
    assert seen == {"beta-ai"}


def test_auditor_sees_all_organisations(client: TestClient, member: Callable[..., Any]) -> None:
    member(Role.BUYER, org="alpha-ai")
    auditor = member(Role.AUDITOR)
    seen = {o["slug"] for o in client.get("/api/v1/organisations?limit=500",
                                          headers=auditor.headers).json()["items"]}
    assert {"alpha-ai"} <= seen and len(seen) >= 2


def test_buyer_cannot_revoke_another_users_token(client: TestClient,
                                                 member: Callable[..., Any]) -> None:
    alpha = member(Role.BUYER, org="alpha-ai")
    beta = member(Role.BUYER, org="beta-ai")
    beta_tokens = client.get("/api/v1/tokens", headers=beta.headers).json()
    response = client.delete(f"/api/v1/tokens/{beta_tokens[0]['id']}", headers=alpha.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=beta.headers).status_code == 200


def test_membership_role_must_fit_organisation_kind(client: TestClient,
                                                    member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    member(Role.BUYER, org="alpha-ai")
    response = client.post("/api/v1/users", headers=admin.headers, json={
        "username": "mallory", "display_name": "M", "password": "long enough pw",
        "memberships": [{"organisation": "alpha-ai", "role": "auditor"}]})
    assert response.status_code == 422
    assert response.json()["field"] == "memberships[0].role"
    users = client.get("/api/v1/users?limit=500", headers=admin.headers).json()["items"]
    assert "mallory" not in {u["username"] for u in users}
