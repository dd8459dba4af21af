"""Building data centres, clusters and signed attestations for the providers tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from httpx import Response

from suanli.kit.timeutil import utcnow
from suanli.providers.attestation import build_payload, public_key_text, sign

DC = {"name": "Qingyang Zone A", "hub_id": "gs-qingyang", "operator_type": "state",
      "pue": "1.15", "green_share": "0.62", "racks": 400}

NAMES = {
    "h20": "NVIDIA H20", "l20": "NVIDIA L20", "h100-sxm": "NVIDIA H100 80GB HBM3",
    "a800-sxm-80g": "NVIDIA A800-SXM4-80GB", "h800-sxm": "NVIDIA H800",
    "ascend-910b": "Ascend 910B",
}


def new_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    return key, public_key_text(key.public_key())


def make_dc(client: TestClient, headers: dict[str, str], **change: Any) -> dict[str, Any]:
    response = client.post("/api/v1/providers/data-centres", json={**DC, **change},
                           headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_cluster(client: TestClient, headers: dict[str, str], dc_id: int, *,
                 model: str = "h20", nodes: int = 2, gpus_per_node: int = 8,
                 key: str | None = None, name: str = "c1") -> dict[str, Any]:
    response = client.post("/api/v1/providers/clusters", headers=headers, json={
        "data_centre_id": dc_id, "name": name, "accelerator_model": model, "nodes": nodes,
        "gpus_per_node": gpus_per_node, "interconnect": "RoCE 8 x 200G",
        "attestation_key": key})
    assert response.status_code == 201, response.text
    return dict(response.json())


def gpus(model_or_name: str, count: int, prefix: str = "n1") -> list[dict[str, Any]]:
    name = NAMES.get(model_or_name, model_or_name)
    return [{"index": i, "name": name, "uuid": f"GPU-{prefix}-{i:04d}",
             "memory_total_mib": 97871} for i in range(count)]


def signed(cluster_id: int, key: Ed25519PrivateKey, inventory: list[dict[str, Any]], *,
           hostname: str = "node-01", now: datetime | None = None,
           nonce: str | None = None) -> dict[str, Any]:
    payload = build_payload(cluster_id=cluster_id, hostname=hostname, gpus=inventory,
                            now=now or utcnow(), nonce=nonce)
    return {"payload": payload, "signature": sign(payload, key)}


def post_attestation(client: TestClient, headers: dict[str, str], cluster_id: int,
                     body: dict[str, Any]) -> Response:
    return client.post(f"/api/v1/providers/clusters/{cluster_id}/attestations", json=body,
                       headers=headers)


def attest_all(client: TestClient, headers: dict[str, str], cluster: dict[str, Any],
               key: Ed25519PrivateKey, name: str | None = None) -> Response:
    """Attest every node of a cluster with the claimed model and count; the last answer."""
    response = None
    for node in range(cluster["nodes"]):
        inventory = gpus(name or cluster["accelerator_model"], cluster["gpus_per_node"],
                         prefix=f"c{cluster['id']}n{node}")
        response = post_attestation(client, headers, cluster["id"], signed(
            cluster["id"], key, inventory, hostname=f"node-{node:02d}"))
        assert response.status_code == 201, response.text
    assert response is not None
    return response
