"""The HTTP conventions: health, metrics, security headers, problem+json, request ids."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from suanli.app import create_app
from suanli.kit.db import make_engine, make_sessionmaker
from tests.conftest import BACKEND


def test_healthz_and_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"] == "abc123"


def test_metrics_counts_requests(client: TestClient) -> None:
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'suanli_http_requests_total{method="GET",route="/healthz",status="200"}' in body


def test_metrics_can_require_a_bearer_token(app: FastAPI,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from suanli.config import get_settings

    monkeypatch.setenv("SUANLI_METRICS_TOKEN", "scrape-me")
    get_settings.cache_clear()
    try:
        with TestClient(app) as client:
            missing = client.get("/metrics")
            assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
            assert missing.json()["field"] == "Authorization"
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
            assert ok.status_code == 200 and "suanli_http_requests_total" in ok.text
    finally:
        get_settings.cache_clear()


def test_pages_send_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.text


def test_unauthenticated_api_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/not-authenticated")
    assert body["status"] == 401


def test_validation_error_names_the_field(client: TestClient, member) -> None:  # type: ignore[no-untyped-def]
    from suanli.auth.roles import Role

    admin = member(Role.PLATFORM_ADMIN)
    response = client.post("/api/v1/organisations", headers=admin.headers,
                           json={"slug": "Bad Slug!", "name": "x", "kind": "startup"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "slug"
    assert "lower-case" in body["detail"]
    response = client.post("/api/v1/organisations", headers=admin.headers,
                           json={"slug": "good-slug", "name": "x", "kind": "bank"})
    assert response.status_code == 422
    assert response.json()["field"] == "kind"


def test_unknown_page_is_404_page(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_openapi_document_is_complete(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            assert op.get("responses"), f"{method.upper()} {path} has no responses"


def test_nul_character_is_refused_with_the_field_named(client: TestClient, member) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL cannot store U+0000 in text; the answer must be a 422, never a 500.
    from suanli.auth.roles import Role

    admin = member(Role.PLATFORM_ADMIN)
    response = client.post("/api/v1/tokens", headers=admin.headers, json={"name": "a\x00b"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "name"
    assert "U+0000" in body["detail"]
    response = client.post("/api/v1/organisations", headers=admin.headers,
                           json={"slug": "nul-org", "name": "x", "kind": "startup",
                                 "city": "Su\x00zhou"})
    assert response.status_code == 422 and response.json()["field"] == "city"
    response = client.get("/api/v1/organisations?q=%00", headers=admin.headers)
    assert response.status_code == 422 and response.json()["field"] == "q"
    assert client.get("/api/v1/organisations/nul-org", headers=admin.headers).status_code == 404


def _app_with(sessions: sessionmaker[Session], handler: Callable[[Request], object]) -> FastAPI:
    """The platform's app with one more route, so that a test can make a request fail."""
    app = create_app(sessions=sessions)
    app.add_api_route("/api/v1/test-only/fail", handler, methods=["GET"])
    return app


def test_a_lost_database_connection_is_503_with_retry_after(
        sessions: sessionmaker[Session]) -> None:
    def lost(request: Request) -> object:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                               connection_invalidated=True)

    with TestClient(_app_with(sessions, lost)) as test_client:
        response = test_client.get("/api/v1/test-only/fail")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/database-unavailable")
    assert "nothing was saved" in response.json()["detail"]


def test_any_other_unhandled_error_is_500_with_the_request_id(
        sessions: sessionmaker[Session]) -> None:
    def broken(request: Request) -> object:
        raise RuntimeError("a bug")

    with TestClient(_app_with(sessions, broken)) as test_client:
        response = test_client.get("/api/v1/test-only/fail", headers={"X-Request-ID": "r-42"})
    assert response.status_code == 500
    assert response.json()["type"].endswith("/internal")
    assert "r-42" in response.json()["detail"]


if BACKEND == "postgresql":

    def test_a_server_side_disconnect_mid_request_is_503_and_the_next_request_works(
            fresh_database: str) -> None:
        engine = make_engine(fresh_database, pool_size=1, max_overflow=0)

        def terminate_self(request: Request) -> object:
            db: Session = request.state.db
            db.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            return {"reached": True}

        def pid(request: Request) -> object:
            db: Session = request.state.db
            return {"pid": db.execute(text("SELECT pg_backend_pid()")).scalar_one()}

        app = _app_with(make_sessionmaker(engine), terminate_self)
        app.add_api_route("/api/v1/test-only/pid", pid, methods=["GET"])
        try:
            with TestClient(app) as test_client:
                first = test_client.get("/api/v1/test-only/pid").json()["pid"]
                failed = test_client.get("/api/v1/test-only/fail")
                assert failed.status_code == 503
                assert failed.json()["type"].endswith("/database-unavailable")
                after = test_client.get("/api/v1/test-only/pid")
            assert after.status_code == 200
            assert after.json()["pid"] != first
        finally:
            engine.dispose()
