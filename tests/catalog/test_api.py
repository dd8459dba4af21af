"""The catalogue API: everyone reads, platform administrators add and correct."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role

pytestmark = pytest.mark.usefixtures("reference_data")

NEW_CHIP = {
    "model": "acme-x9", "vendor": "Acme", "name": "Acme X9", "domestic": True,
    "datacenter": True, "bf16_tflops_dense": 280, "int8_tops_dense": None, "memory_gb": 32,
    "memory_bw_gbs": None, "interconnect_gbs": None, "tdp_w": 310, "die_mm2": None,
    "source": "vendor brochure (test)",
}


def _audit(client: TestClient, admin: Any, object_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/audit?object_type=accelerator&object_id={object_id}",
                          headers=admin.headers)
    return list(response.json()["items"])


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_catalogue(client: TestClient, member: Callable[..., Any],
                                        role: Role) -> None:
    caller = member(role)
    items = client.get("/api/v1/catalog/accelerators", headers=caller.headers).json()
    h100 = next(i for i in items if i["model"] == "h100-sxm")
    assert h100["bf16_tflops_dense"] == 989.5 and h100["eccn"] == "3A090.a"
    assert h100["source"].startswith("NVIDIA H100 datasheet")
    hubs = client.get("/api/v1/catalog/hubs", headers=caller.headers).json()
    assert len(hubs) == 10 and {h["side"] for h in hubs} == {"east", "west"}


def test_unknown_model_is_404_naming_it(client: TestClient, member: Callable[..., Any]) -> None:
    response = client.get("/api/v1/catalog/accelerators/h999", headers=member(Role.BUYER).headers)
    assert response.status_code == 404 and response.json()["field"] == "model"


def test_admin_adds_a_model_which_is_classified_and_audited(
        client: TestClient, member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    response = client.post("/api/v1/catalog/accelerators", json=NEW_CHIP, headers=admin.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["eccn"] == "undetermined" and "die area is unknown" in body["eccn_reason"]
    assert body["corrected_at"] is not None
    (record,) = _audit(client, admin, "acme-x9")
    assert record["action"] == "accelerator.create" and record["after"]["tdp_w"] == 310
    again = client.post("/api/v1/catalog/accelerators", json=NEW_CHIP, headers=admin.headers)
    assert again.status_code == 409 and again.json()["field"] == "model"


@pytest.mark.parametrize(("change", "field"), [
    ({"bf16_tflops_dense": -1}, "bf16_tflops_dense"),
    ({"die_mm2": 0}, "die_mm2"),
    ({"memory_gb": -8}, "memory_gb"),
    ({"model": "Bad Model!"}, "model"),
    ({"source": " "}, "source"),
    ({"bf16_tflops_dense": 1.234}, "bf16_tflops_dense"),
    ({"int8_tops_dense": 2_000_000}, "int8_tops_dense"),
    ({"colour": "red"}, "colour"),
])
def test_bad_new_model_is_422_naming_the_field_and_writes_nothing(
        client: TestClient, member: Callable[..., Any], change: dict[str, Any],
        field: str) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    response = client.post("/api/v1/catalog/accelerators", json={**NEW_CHIP, **change},
                           headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    models = {i["model"] for i in client.get("/api/v1/catalog/accelerators",
                                             headers=admin.headers).json()}
    assert NEW_CHIP["model"] not in models and (change.get("model") or "") not in models


def test_admin_corrects_a_model_and_it_is_reclassified(
        client: TestClient, member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    response = client.patch("/api/v1/catalog/accelerators/metax-c500",
                            json={"die_mm2": 600, "source": "vzkoo via ai.md; die photo"},
                            headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["eccn"] == "3A090.a"
    (record,) = _audit(client, admin, "metax-c500")
    assert (record["before"]["eccn"], record["after"]["eccn"]) == ("undetermined", "3A090.a")
    assert record["before"]["die_mm2"] is None and record["after"]["die_mm2"] == "600"


@pytest.mark.parametrize(("body", "field"), [
    ({"vendor": None}, "vendor"), ({"tdp_w": -5}, "tdp_w"), ({"model": "x"}, "model"),
])
def test_bad_correction_is_422_and_changes_nothing(
        client: TestClient, member: Callable[..., Any], body: dict[str, Any],
        field: str) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    response = client.patch("/api/v1/catalog/accelerators/h20", json=body,
                            headers=admin.headers)
    assert response.status_code == 422 and response.json()["field"] == field
    h20 = client.get("/api/v1/catalog/accelerators/h20", headers=admin.headers).json()
    assert h20["vendor"] == "NVIDIA" and h20["tdp_w"] == 400 and h20["corrected_at"] is None


def test_only_platform_admins_change_the_catalogue(
        client: TestClient, member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER)
    assert client.post("/api/v1/catalog/accelerators", json=NEW_CHIP,
                       headers=provider.headers).status_code == 403
    assert client.patch("/api/v1/catalog/accelerators/h20", json={"tdp_w": 1},
                        headers=provider.headers).status_code == 403
    assert client.put("/api/v1/catalog/latency/shanghai/gs-qingyang", json={"latency_ms": 9},
                      headers=provider.headers).status_code == 403


def test_latency_matrix_and_overrides(client: TestClient, member: Callable[..., Any]) -> None:
    admin, buyer = member(Role.PLATFORM_ADMIN), member(Role.BUYER)
    before = client.get("/api/v1/catalog/latency", headers=buyer.headers).json()
    assert before["latency_ms"]["shanghai"]["gs-qingyang"] == 28
    assert before["latency_ms"]["shanghai"]["city:shanghai"] == 1
    response = client.put("/api/v1/catalog/latency/shanghai/gs-qingyang",
                          json={"latency_ms": 18, "note": "ping over CN2, 2026-03"},
                          headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["estimate_ms"] == 28
    after = client.get("/api/v1/catalog/latency", headers=buyer.headers).json()
    assert after["latency_ms"]["shanghai"]["gs-qingyang"] == 18
    assert after["overrides"][0]["note"] == "ping over CN2, 2026-03"
    assert client.delete("/api/v1/catalog/latency/shanghai/gs-qingyang",
                         headers=admin.headers).status_code == 204
    assert client.get("/api/v1/catalog/latency", headers=buyer.headers).json()[
        "latency_ms"]["shanghai"]["gs-qingyang"] == 28


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/api/v1/catalog/latency/atlantis/gs-qingyang", {"latency_ms": 5}, 404, "city"),
    ("/api/v1/catalog/latency/shanghai/mars", {"latency_ms": 5}, 404, "hub"),
    ("/api/v1/catalog/latency/shanghai/gs-qingyang", {"latency_ms": 0}, 422, "latency_ms"),
    ("/api/v1/catalog/latency/shanghai/gs-qingyang", {"latency_ms": 2.5}, 422, "latency_ms"),
])
def test_bad_latency_is_refused_naming_the_field(
        client: TestClient, member: Callable[..., Any], path: str, body: dict[str, Any],
        status: int, field: str) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    response = client.put(path, json=body, headers=admin.headers)
    assert response.status_code == status and response.json()["field"] == field
    assert client.get("/api/v1/catalog/latency", headers=admin.headers).json()["overrides"] == []


def test_reported_names_are_read_added_and_replaced(
        client: TestClient, member: Callable[..., Any]) -> None:
    admin, buyer = member(Role.PLATFORM_ADMIN), member(Role.BUYER)
    h20 = client.get("/api/v1/catalog/accelerators/h20", headers=buyer.headers).json()
    assert h20["reported_names"] == ["NVIDIA H20"]
    made = client.post("/api/v1/catalog/accelerators", headers=admin.headers,
                       json={**NEW_CHIP, "reported_names": ["Acme X9", "ACME-X9"]})
    assert made.status_code == 201 and made.json()["reported_names"] == ["ACME-X9", "Acme X9"]
    taken = client.patch("/api/v1/catalog/accelerators/acme-x9", headers=admin.headers,
                         json={"reported_names": ["NVIDIA H20"]})
    assert taken.status_code == 409 and taken.json()["field"] == "reported_names"
    bad = client.patch("/api/v1/catalog/accelerators/acme-x9", headers=admin.headers,
                       json={"reported_names": ["ok", "bad\u0000name"]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("reported_names")
    fixed = client.patch("/api/v1/catalog/accelerators/acme-x9", headers=admin.headers,
                         json={"reported_names": ["Acme X9 96GB"]})
    assert fixed.status_code == 200 and fixed.json()["reported_names"] == ["Acme X9 96GB"]
    record = next(r for r in _audit(client, admin, "acme-x9")
                  if r["action"] == "accelerator.correct")
    assert (record["before"]["reported_names"], record["after"]["reported_names"]) == (
        ["ACME-X9", "Acme X9"], ["Acme X9 96GB"])
