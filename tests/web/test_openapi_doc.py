"""The OpenAPI document states every error answer in one shape, and links create operations
to the operations that take the new id (what clients and schemathesis' stateful phase read)."""

from __future__ import annotations

from fastapi.testclient import TestClient

PUBLIC = {"/api/v1/market/index", "/api/v1/market/depth"}  # market data, for anyone
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _operations(doc: dict) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [(method, path, op) for path, ops in doc["paths"].items()
            for method, op in ops.items()]


def test_every_error_is_a_documented_problem(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for method, path, op in _operations(doc):
        answers = op["responses"]
        assert {"422", "503"} <= set(answers), (method, path)
        assert answers["503"]["headers"]["Retry-After"]["required"] is True
        for status, answer in answers.items():
            if int(status) >= 400:
                assert answer["content"] == PROBLEM, (method, path, status)
        if path.startswith("/api/v1/") and path not in PUBLIC:
            assert "401" in answers, (method, path)
        if "{" in path:
            assert "404" in answers, (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert {"403", "409"} <= set(answers), (method, path)


def test_the_api_answers_problems_as_documented(client: TestClient) -> None:
    unauthenticated = client.get("/api/v1/programs")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(unauthenticated.json())


def test_create_operations_link_to_what_takes_their_id(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    ids = {op["operationId"] for _, _, op in _operations(doc)}
    links = doc["paths"]["/api/v1/programs"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert "get_program_api_v1_programs__program_id__get" in targets
    assert any(link.get("requestBody") == {"program_id": "$response.body#/id"}
               for link in links.values())
    offer = doc["paths"]["/api/v1/market/offers"]["post"]["responses"]["201"]["links"]
    assert any(link.get("requestBody") == {"offer_id": "$response.body#/id"}
               for link in offer.values())
    every = [link for _, _, op in _operations(doc) for answer in op["responses"].values()
             for link in answer.get("links", {}).values()]
    assert len(every) > 40 and {link["operationId"] for link in every} <= ids


def test_inputs_state_the_rules_their_validators_apply(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    offer = schemas["OfferCreate"]["properties"]
    assert offer["ask_cny_per_gpu_hour"]["pattern"].startswith("^(0*[1-9]")
    assert "multipleOf" in offer["cancel_fee_rate"]
    assert schemas["OrganisationCreate"]["properties"]["slug"]["pattern"]
    assert "anyOf" not in schemas["ProgramCreate"]["properties"]["redemption_mode"]
