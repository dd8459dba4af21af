"""The HTTP conventions: health, metrics, security headers, problem+json, request ids."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_and_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"] == "abc123"


def test_metrics_counts_requests(client: TestClient) -> None:
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'suanli_http_requests_total{method="GET",route="/healthz",status="200"}' in body


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
