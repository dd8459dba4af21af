"""Registering clusters and the screening matrix: class, provenance, attestation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from tests.providers.helpers import make_cluster, make_dc, new_key

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def provider(member: Callable[..., Any]) -> Any:
    return member(Role.PROVIDER, org="qingyang-test-dc")


@pytest.fixture
def dc(client: TestClient, provider: Any) -> dict[str, Any]:
    return make_dc(client, provider.headers)


@pytest.mark.parametrize(("model", "status", "reasons"), [
    ("h20", "pending", ["not attested yet"]),
    ("l20", "pending", ["not attested yet"]),
    ("ascend-910b", "pending", ["not attested yet"]),  # domestic: no provenance needed
    ("metax-c500", "pending", ["not attested yet"]),  # domestic, undetermined
    ("h800-sxm", "awaiting_decision", [
        "3A090.a part (TPP 15,832 >= 4,800): needs provenance documents (none uploaded)",
        "awaiting auditor decision", "not attested yet"]),
    ("a800-sxm-80g", "awaiting_decision", [
        "3A090.a part (TPP 4,992 >= 4,800): needs provenance documents (none uploaded)",
        "awaiting auditor decision", "not attested yet"]),
])
def test_screening_on_registration(client: TestClient, provider: Any, dc: dict[str, Any],
                                   model: str, status: str, reasons: list[str]) -> None:
    _, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model=model, key=public)
    assert (cluster["status"], cluster["listable"]) == (status, False)
    assert [r["text"] for r in cluster["reasons"]] == reasons
    assert cluster["gpus"] == 16 and cluster["location"] == "gs-qingyang"


def test_foreign_3a090b_and_undetermined_parts_wait_for_an_auditor(
        client: TestClient, member: Callable[..., Any], provider: Any,
        dc: dict[str, Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    base = {"vendor": "Acme", "domestic": False, "datacenter": True, "int8_tops_dense": None,
            "source": "test sheet"}
    for model, bf16, die in (("acme-b", 187.5, 1000), ("acme-u", 187.5, None)):
        response = client.post("/api/v1/catalog/accelerators", headers=admin.headers, json={
            **base, "model": model, "name": model, "bf16_tflops_dense": bf16, "die_mm2": die})
        assert response.status_code == 201, response.text
    b = make_cluster(client, provider.headers, dc["id"], model="acme-b", name="b")
    u = make_cluster(client, provider.headers, dc["id"], model="acme-u", name="u")
    assert b["status"] == u["status"] == "awaiting_decision"
    assert b["reasons"][0]["text"].startswith("3A090.b part (TPP 3,000 is in [2,400, 4,800)")
    assert u["reasons"][0]["text"].startswith("ECCN-undetermined part (TPP 3,000 is between")
    assert "no attestation key registered" in [r["text"] for r in b["reasons"]]


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"accelerator_model": "h999"}, 422, "accelerator_model"),
    ({"nodes": 0}, 422, "nodes"),
    ({"nodes": -3}, 422, "nodes"),
    ({"gpus_per_node": 0}, 422, "gpus_per_node"),
    ({"gpus_per_node": 65}, 422, "gpus_per_node"),
    ({"attestation_key": "not-a-key"}, 422, "attestation_key"),
    ({"data_centre_id": 999999}, 404, "data_centre_id"),
    ({"name": ""}, 422, "name"),
])
def test_bad_cluster_is_refused_naming_the_field_and_nothing_is_written(
        client: TestClient, provider: Any, dc: dict[str, Any], change: dict[str, Any],
        status: int, field: str) -> None:
    body = {"data_centre_id": dc["id"], "name": "c", "accelerator_model": "h20", "nodes": 2,
            "gpus_per_node": 8, **change}
    response = client.post("/api/v1/providers/clusters", json=body, headers=provider.headers)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert client.get("/api/v1/providers/clusters", headers=provider.headers).json() == []


def test_a_cluster_in_another_organisations_data_centre_is_404(
        client: TestClient, member: Callable[..., Any], dc: dict[str, Any]) -> None:
    other = member(Role.PROVIDER, org="other-dc")
    response = client.post("/api/v1/providers/clusters", headers=other.headers, json={
        "data_centre_id": dc["id"], "name": "sneaky", "accelerator_model": "h20", "nodes": 1,
        "gpus_per_node": 8})
    assert response.status_code == 404 and response.json()["field"] == "data_centre_id"
    auditor = member(Role.AUDITOR)
    assert client.get("/api/v1/providers/clusters", headers=auditor.headers).json() == []


def test_another_providers_cluster_is_invisible(client: TestClient, member: Callable[..., Any],
                                                provider: Any, dc: dict[str, Any]) -> None:
    cluster = make_cluster(client, provider.headers, dc["id"])
    other = member(Role.PROVIDER, org="other-dc")
    _, public = new_key()
    for method, path, body in (
        ("GET", f"/api/v1/providers/clusters/{cluster['id']}", None),
        ("GET", f"/api/v1/providers/clusters/{cluster['id']}/attestations", None),
        ("PUT", f"/api/v1/providers/clusters/{cluster['id']}/attestation-key",
         {"attestation_key": public}),
    ):
        response = client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404 and response.json()["field"] == "cluster_id"
    assert client.get("/api/v1/providers/clusters", headers=other.headers).json() == []
    mine = client.get(f"/api/v1/providers/clusters/{cluster['id']}",
                      headers=provider.headers).json()
    assert mine["attestation_key"] is None


def test_registering_a_key_later_and_rotating_it(client: TestClient, provider: Any,
                                                 dc: dict[str, Any]) -> None:
    cluster = make_cluster(client, provider.headers, dc["id"])
    assert "no attestation key registered" in [r["text"] for r in cluster["reasons"]]
    key, public = new_key()
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    response = client.put(f"/api/v1/providers/clusters/{cluster['id']}/attestation-key",
                          json={"attestation_key": pem.decode()}, headers=provider.headers)
    assert response.status_code == 200, response.text
    assert response.json()["attestation_key"] == public  # PEM normalised to base64
    assert [r["text"] for r in response.json()["reasons"]] == ["not attested yet"]
    bad = client.put(f"/api/v1/providers/clusters/{cluster['id']}/attestation-key",
                     json={"attestation_key": "AAAA"}, headers=provider.headers)
    assert bad.status_code == 422 and bad.json()["field"] == "attestation_key"


def test_reclassifying_a_model_rescreens_its_clusters(
        client: TestClient, member: Callable[..., Any], provider: Any,
        dc: dict[str, Any]) -> None:
    cluster = make_cluster(client, provider.headers, dc["id"], model="h20")
    assert cluster["status"] == "pending"
    admin = member(Role.PLATFORM_ADMIN)
    response = client.patch("/api/v1/catalog/accelerators/h20", headers=admin.headers,
                            json={"bf16_tflops_dense": 400})
    assert response.json()["eccn"] == "3A090.a"
    again = client.get(f"/api/v1/providers/clusters/{cluster['id']}",
                       headers=provider.headers).json()
    assert (again["eccn"], again["status"]) == ("3A090.a", "awaiting_decision")
    queue = client.get("/api/v1/compliance/queue", headers=member(Role.AUDITOR).headers).json()
    assert [c["kind"] for c in queue[0]["open_cases"]] == ["provenance"]
