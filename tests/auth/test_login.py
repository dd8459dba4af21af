"""Login, CSRF, sessions, throttling and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.auth.models import LoginSession
from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from tests.conftest import PASSWORD, login


def test_login_sets_session_and_shows_home(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    page = client.get("/")
    assert page.status_code == 200
    assert buyer.user.display_name in page.text
    assert 'data-role="buyer"' in page.text


def test_login_form_without_csrf_is_refused(client: TestClient,
                                            member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    client.get("/login")
    response = client.post("/login", data={"username": buyer.user.username,
                                           "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    response = client.post("/login", data={"username": buyer.user.username, "password": PASSWORD,
                                           "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert client.cookies.get("suanli_session") is None


def test_logged_in_form_needs_csrf(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    response = client.post("/tokens", data={"name": "x"}, follow_redirects=False)
    assert response.status_code == 403
    ok = client.post("/tokens", data={"name": "x", "csrf_token": client.cookies["suanli_csrf"]})
    assert ok.status_code == 200
    assert "sl_" in ok.text


def test_api_with_cookie_needs_csrf_header(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/tokens", json={"name": "t"}).status_code == 403
    response = client.post("/api/v1/tokens", json={"name": "t"},
                           headers={"X-CSRF-Token": client.cookies["suanli_csrf"]})
    assert response.status_code == 201


def test_the_csrf_token_is_bound_to_the_login_session(
        app: Any, client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    mine = client.cookies["suanli_csrf"]
    with TestClient(app) as other:  # another login session of the same user
        login(other, buyer.user.username)
        theirs = other.cookies["suanli_csrf"]
        assert theirs != mine
        # the other session's token, planted as this browser's cookie too, is refused
        client.cookies.set("suanli_csrf", theirs)
        refused = client.post("/api/v1/tokens", json={"name": "t"},
                              headers={"X-CSRF-Token": theirs})
        assert (refused.status_code, refused.json()["field"]) == (403, "csrf_token")
        form = client.post("/tokens", data={"name": "x", "csrf_token": theirs},
                           follow_redirects=False)
        assert form.status_code == 403
        assert other.post("/api/v1/tokens", json={"name": "t"},
                          headers={"X-CSRF-Token": theirs}).status_code == 201
    # pages render this session's token, whatever the cookie says
    client.cookies.set("suanli_csrf", "stale")
    assert f'value="{mine}"' in client.get("/tokens").text
    assert client.post("/api/v1/tokens", json={"name": "t"},
                       headers={"X-CSRF-Token": mine}).status_code == 201


def test_wrong_password_shows_error_in_place(client: TestClient,
                                             member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    client.get("/login")
    response = client.post("/login", data={"username": buyer.user.username, "password": "nope",
                                           "csrf_token": client.cookies["suanli_csrf"]})
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    empty = client.post("/login", data={"username": "", "password": "",
                                        "csrf_token": client.cookies["suanli_csrf"]})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text


def test_login_is_throttled_after_failures(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    client.get("/login")
    csrf = client.cookies["suanli_csrf"]
    for _ in range(5):
        bad = client.post("/login", data={"username": buyer.user.username, "password": "wrong",
                                          "csrf_token": csrf})
        assert bad.status_code == 401
    # Even the right password is refused until the window passes.
    blocked = client.post("/login", data={"username": buyer.user.username, "password": PASSWORD,
                                          "csrf_token": csrf}, follow_redirects=False)
    assert blocked.status_code == 429
    assert client.cookies.get("suanli_session") is None


def test_expired_session_is_not_accepted(client: TestClient, member: Callable[..., Any],
                                         db: Session) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    assert client.get("/api/v1/me").status_code == 200
    for row in db.execute(select(LoginSession)).scalars():
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    login(client, buyer.user.username)
    cookie = client.cookies["suanli_session"]
    client.post("/logout", data={"csrf_token": client.cookies["suanli_csrf"]})
    client.cookies.set("suanli_session", cookie)
    assert client.get("/api/v1/me").status_code == 401


def test_tokens_are_hashed_shown_once_and_revocable(client: TestClient,
                                                    member: Callable[..., Any],
                                                    db: Session) -> None:
    buyer = member(Role.BUYER)
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=buyer.headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    from suanli.auth.models import ApiToken

    stored = db.get(ApiToken, created.json()["id"])
    assert stored is not None and secret not in stored.token_hash and len(stored.token_hash) == 64
    listed = client.get("/api/v1/tokens", headers=buyer.headers).json()
    assert all("token" not in t for t in listed)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=bearer).json()["via"] == "token"
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}",
                         headers=buyer.headers).status_code == 200
    response = client.get("/api/v1/me", headers=bearer)
    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"


def test_open_redirect_is_refused(client: TestClient, member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    client.get("/login")
    response = client.post("/login", data={"username": buyer.user.username, "password": PASSWORD,
                                           "csrf_token": client.cookies["suanli_csrf"],
                                           "next": "https://evil.example/"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"
