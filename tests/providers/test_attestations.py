"""Attestations over the API: good, wrong model, wrong count, bad signature, replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.providers import repository
from suanli.providers.service import attested_gpu_uuids
from tests.providers.helpers import (
    attest_all,
    gpus,
    make_cluster,
    make_dc,
    new_key,
    post_attestation,
    signed,
)

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def provider(member: Callable[..., Any]) -> Any:
    return member(Role.PROVIDER, org="attest-dc")


@pytest.fixture
def setup(client: TestClient, provider: Any) -> tuple[dict[str, Any], Any]:
    dc = make_dc(client, provider.headers)
    key, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model="h20", nodes=2,
                           gpus_per_node=8, key=public)
    return cluster, key


def _cluster(client: TestClient, provider: Any, cluster_id: int) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/providers/clusters/{cluster_id}",
                           headers=provider.headers).json())


def test_matching_nodes_make_the_cluster_listable(
        client: TestClient, db: Session, provider: Any, setup: tuple[dict[str, Any], Any]
) -> None:
    cluster, key = setup
    first = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 8, "a"), hostname="node-a"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["verdict"], body["cluster_status"]) == ("match", "pending")
    assert [r["text"] for r in body["reasons"]] == ["attested 1 of 2 nodes (8 of 16 GPUs)"]
    second = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 8, "b"), hostname="node-b"))
    assert (second.json()["verdict"], second.json()["cluster_status"]) == ("match", "listable")
    assert second.json()["reasons"] == []
    state = _cluster(client, provider, cluster["id"])
    assert (state["listable"], state["attested_nodes"], state["attested_gpus"]) == (True, 2, 16)
    assert attested_gpu_uuids(db, cluster["id"]) == {
        g["uuid"] for g in gpus("h20", 8, "a") + gpus("h20", 8, "b")}


def test_a_node_attesting_again_replaces_its_gpus(
        client: TestClient, db: Session, provider: Any, setup: tuple[dict[str, Any], Any]
) -> None:
    cluster, key = setup
    attest_all(client, provider.headers, cluster, key)
    replaced = gpus("h20", 8, "c0n0-new")
    response = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, replaced, hostname="node-00"))
    assert response.json()["cluster_status"] == "listable"
    uuids = attested_gpu_uuids(db, cluster["id"])
    assert len(uuids) == 16 and {g["uuid"] for g in replaced} <= uuids


def test_claims_h20_reports_h100_suspends_and_opens_a_case(
        client: TestClient, member: Callable[..., Any], provider: Any,
        setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    attest_all(client, provider.headers, cluster, key)
    response = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h100-sxm", 8, "x"), hostname="node-00"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["verdict"], body["cluster_status"]) == ("mismatch", "suspended")
    assert [p["text"] for p in body["problems"]] == [
        "attestation mismatch: claims h20, reports h100-sxm"]
    auditor = member(Role.AUDITOR)
    (entry,) = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()
    assert entry["cluster"]["status"] == "suspended"
    assert entry["cluster"]["reasons"][0]["text"] == (
        "attestation mismatch: claims h20, reports h100-sxm")
    (case,) = entry["open_cases"]
    assert case["kind"] == "attestation_mismatch"
    assert case["details"]["reported"]["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"


def test_claims_64_reports_48_is_a_mismatch(
        client: TestClient, member: Callable[..., Any], provider: Any) -> None:
    dc = make_dc(client, provider.headers, name="Big")
    key, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model="h20", nodes=8,
                           gpus_per_node=8, key=public)
    response = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 6, "n1"), hostname="n1"))
    body = response.json()
    assert (body["verdict"], body["cluster_status"]) == ("mismatch", "suspended")
    assert [p["text"] for p in body["problems"]] == [
        "attestation mismatch: claims 64 GPUs (8 x 8 per node), node n1 reports 6 "
        "(at most 48 in all)"]
    assert _cluster(client, provider, cluster["id"])["attested_gpus"] == 0


def test_more_nodes_than_claimed_and_gpus_of_another_cluster_are_mismatches(
        client: TestClient, provider: Any, setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    attest_all(client, provider.headers, cluster, key)
    extra = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 8, "third"), hostname="node-99")).json()
    assert [p["key"] for p in extra["problems"]] == ["mismatch_nodes"]
    dc2 = make_dc(client, provider.headers, name="Second")
    key2, public2 = new_key()
    other = make_cluster(client, provider.headers, dc2["id"], model="h20", nodes=1,
                         gpus_per_node=8, key=public2)
    stolen = gpus("h20", 8, f"c{cluster['id']}n0")
    shared = post_attestation(client, provider.headers, other["id"], signed(
        other["id"], key2, stolen)).json()
    assert shared["verdict"] == "mismatch"
    assert shared["problems"][0]["text"] == (
        f"attestation mismatch: GPU {stolen[0]['uuid']} is already attested for cluster "
        f"{cluster['id']}")


def test_an_unknown_part_is_a_mismatch(client: TestClient, provider: Any,
                                       setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    body = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("Tesla T4", 8))).json()
    assert body["problems"][0]["text"] == (
        "attestation mismatch: claims h20, reports a part not in the catalogue (Tesla T4)")


def test_bad_signature_is_refused_and_nothing_is_recorded(
        client: TestClient, db: Session, provider: Any, setup: tuple[dict[str, Any], Any]
) -> None:
    cluster, key = setup
    body = signed(cluster["id"], key, gpus("h20", 8))
    body["payload"]["gpus"][0]["uuid"] = "GPU-tampered"
    response = post_attestation(client, provider.headers, cluster["id"], body)
    assert response.status_code == 422 and response.json()["field"] == "signature"
    assert response.json()["type"].endswith("/bad-signature")
    impostor, _ = new_key()
    forged = post_attestation(client, provider.headers, cluster["id"],
                              signed(cluster["id"], impostor, gpus("h20", 8)))
    assert forged.status_code == 422 and forged.json()["field"] == "signature"
    assert repository.attestations(db, cluster["id"]) == []


def test_a_replayed_attestation_is_refused(client: TestClient, db: Session, provider: Any,
                                           setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    body = signed(cluster["id"], key, gpus("h20", 8))
    assert post_attestation(client, provider.headers, cluster["id"], body).status_code == 201
    replay = post_attestation(client, provider.headers, cluster["id"], body)
    assert replay.status_code == 409 and replay.json()["field"] == "payload.nonce"
    assert len(repository.attestations(db, cluster["id"])) == 1


@pytest.mark.parametrize(("shift", "field"), [
    (timedelta(minutes=-10), "payload.timestamp"), (timedelta(minutes=10), "payload.timestamp"),
])
def test_an_attestation_outside_the_time_window_is_refused(
        client: TestClient, provider: Any, setup: tuple[dict[str, Any], Any],
        shift: timedelta, field: str) -> None:
    cluster, key = setup
    body = signed(cluster["id"], key, gpus("h20", 8), now=utcnow() + shift)
    response = post_attestation(client, provider.headers, cluster["id"], body)
    assert response.status_code == 422 and response.json()["field"] == field


def test_a_payload_for_another_cluster_or_malformed_is_refused(
        client: TestClient, provider: Any, setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    wrong = signed(cluster["id"] + 1000, key, gpus("h20", 8))
    response = post_attestation(client, provider.headers, cluster["id"], wrong)
    assert response.status_code == 422 and response.json()["field"] == "payload.cluster_id"
    inventory = gpus("h20", 8)
    inventory[1]["uuid"] = inventory[0]["uuid"]
    duplicate = post_attestation(client, provider.headers, cluster["id"],
                                 signed(cluster["id"], key, inventory))
    assert duplicate.status_code == 422 and duplicate.json()["field"] == "payload.gpus"
    negative = gpus("h20", 8)
    negative[2]["memory_total_mib"] = -1
    bad = post_attestation(client, provider.headers, cluster["id"],
                           signed(cluster["id"], key, negative))
    assert bad.status_code == 422
    assert bad.json()["field"] == "payload.gpus.2.memory_total_mib"


def test_another_provider_cannot_attest_and_no_key_is_409(
        client: TestClient, member: Callable[..., Any], provider: Any,
        setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    other = member(Role.PROVIDER, org="other-dc")
    response = post_attestation(client, other.headers, cluster["id"],
                                signed(cluster["id"], key, gpus("h20", 8)))
    assert response.status_code == 404 and response.json()["field"] == "cluster_id"
    dc = make_dc(client, provider.headers, name="Keyless")
    keyless = make_cluster(client, provider.headers, dc["id"])
    response = post_attestation(client, provider.headers, keyless["id"],
                                signed(keyless["id"], key, gpus("h20", 8)))
    assert response.status_code == 409 and response.json()["field"] == "attestation_key"


def test_the_idempotency_key_makes_a_retry_safe(client: TestClient, provider: Any,
                                                setup: tuple[dict[str, Any], Any]) -> None:
    cluster, key = setup
    body = signed(cluster["id"], key, gpus("h20", 8))
    headers = {**provider.headers, "Idempotency-Key": "attest-" + body["payload"]["nonce"]}
    url = f"/api/v1/providers/clusters/{cluster['id']}/attestations"
    first = client.post(url, json=body, headers=headers)
    retry = client.post(url, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["id"] == first.json()["id"]


def test_a_model_an_administrator_adds_can_attest(
        client: TestClient, member: Callable[..., Any], provider: Any) -> None:
    """Reported names are catalogue data: a new model with its names attests at once."""
    admin = member(Role.PLATFORM_ADMIN)
    added = client.post("/api/v1/catalog/accelerators", headers=admin.headers, json={
        "model": "acme-z1", "vendor": "Acme", "name": "Z1", "domestic": True,
        "datacenter": True, "bf16_tflops_dense": 90, "int8_tops_dense": None,
        "memory_gb": 64, "memory_bw_gbs": None, "interconnect_gbs": None, "tdp_w": None,
        "die_mm2": None, "source": "Acme Z1 brochure (test)",
        "reported_names": ["Acme Z1 64GB"]})
    assert added.status_code == 201, added.text
    dc = make_dc(client, provider.headers)
    key, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model="acme-z1", nodes=1,
                           gpus_per_node=4, key=public)
    body = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("ACME  z1 64gb", 4))).json()
    assert (body["verdict"], body["cluster_status"]) == ("match", "listable"), body
    other = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("Acme Z1 32GB", 4), hostname="node-02")).json()
    assert other["verdict"] == "mismatch"
