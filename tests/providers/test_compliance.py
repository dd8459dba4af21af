"""Auditors: the queue and its reasons, decisions on cases, holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
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
def people(member: Callable[..., Any]) -> dict[str, Any]:
    return {"provider": member(Role.PROVIDER, org="comp-dc"), "auditor": member(Role.AUDITOR),
            "admin": member(Role.PLATFORM_ADMIN)}


@pytest.fixture
def listable(client: TestClient, people: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    headers = people["provider"].headers
    dc = make_dc(client, headers)
    key, public = new_key()
    cluster = make_cluster(client, headers, dc["id"], model="l20", nodes=1, key=public)
    assert attest_all(client, headers, cluster, key).json()["cluster_status"] == "listable"
    return cluster, key


def _status(client: TestClient, people: dict[str, Any], cluster_id: int) -> str:
    return str(client.get(f"/api/v1/providers/clusters/{cluster_id}",
                          headers=people["provider"].headers).json()["status"])


def _decide(client: TestClient, who: Any, case_id: int, decision: str,
            reason: str = "checked") -> Any:
    return client.post(f"/api/v1/compliance/cases/{case_id}/decision", headers=who.headers,
                       json={"decision": decision, "reason": reason})


def test_a_hold_suspends_until_lifted(client: TestClient, people: dict[str, Any],
                                      listable: tuple[dict[str, Any], Any]) -> None:
    cluster, _ = listable
    auditor = people["auditor"]
    held = client.post(f"/api/v1/compliance/clusters/{cluster['id']}/holds",
                       json={"reason": "tip-off: resold capacity"}, headers=auditor.headers)
    assert held.status_code == 201, held.text
    assert _status(client, people, cluster["id"]) == "suspended"
    (entry,) = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()
    assert entry["cluster"]["reasons"][0]["text"] == "compliance hold: tip-off: resold capacity"
    wrong = _decide(client, auditor, held.json()["id"], "approve")
    assert wrong.status_code == 422 and wrong.json()["field"] == "decision"
    lifted = _decide(client, auditor, held.json()["id"], "lift", "no evidence")
    assert lifted.status_code == 200 and lifted.json()["status"] == "closed"
    assert _status(client, people, cluster["id"]) == "listable"
    again = _decide(client, auditor, held.json()["id"], "lift")
    assert again.status_code == 409 and again.json()["field"] == "decision"


def test_a_cleared_mismatch_needs_a_fresh_attestation(
        client: TestClient, people: dict[str, Any], listable: tuple[dict[str, Any], Any]
) -> None:
    cluster, key = listable
    provider, auditor = people["provider"], people["auditor"]
    post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h100-sxm", 8), hostname="node-00"))
    assert _status(client, people, cluster["id"]) == "suspended"
    (entry,) = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()
    case_id = entry["open_cases"][0]["id"]
    assert _decide(client, auditor, case_id, "approve", "faulty reader").status_code == 200
    state = client.get(f"/api/v1/providers/clusters/{cluster['id']}",
                       headers=provider.headers).json()
    assert (state["status"], [r["text"] for r in state["reasons"]]) == (
        "pending", ["not attested yet"])
    attest_all(client, provider.headers, cluster, key)
    assert _status(client, people, cluster["id"]) == "listable"


def test_rejection_is_final(client: TestClient, people: dict[str, Any],
                            listable: tuple[dict[str, Any], Any]) -> None:
    cluster, key = listable
    auditor = people["auditor"]
    held = client.post(f"/api/v1/compliance/clusters/{cluster['id']}/holds",
                       json={"reason": "smuggled parts"}, headers=auditor.headers).json()
    assert _decide(client, auditor, held["id"], "reject", "customs record").status_code == 200
    state = client.get(f"/api/v1/providers/clusters/{cluster['id']}",
                       headers=people["provider"].headers).json()
    assert state["status"] == "rejected"
    assert state["reasons"][0]["text"] == "rejected by the auditor: customs record"
    response = post_attestation(client, people["provider"].headers, cluster["id"],
                                signed(cluster["id"], key, gpus("l20", 8)))
    assert response.status_code == 409 and response.json()["field"] == "cluster_id"
    assert client.get("/api/v1/compliance/queue", headers=auditor.headers).json() == []


def test_provenance_cannot_be_approved_without_documents(
        client: TestClient, people: dict[str, Any]) -> None:
    dc = make_dc(client, people["provider"].headers)
    cluster = make_cluster(client, people["provider"].headers, dc["id"], model="h800-sxm")
    auditor = people["auditor"]
    (entry,) = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()
    assert entry["cluster"]["id"] == cluster["id"]
    (case,) = entry["open_cases"]
    assert case["kind"] == "provenance" and case["details"]["eccn"] == "3A090.a"
    response = _decide(client, auditor, case["id"], "approve")
    assert response.status_code == 409 and response.json()["field"] == "decision"
    assert _status(client, people, cluster["id"]) == "awaiting_decision"


@pytest.mark.parametrize(("body", "field"), [
    ({"decision": "maybe", "reason": "x"}, "decision"),
    ({"decision": "reject", "reason": ""}, "reason"),
    ({"decision": "reject"}, "reason"),
])
def test_bad_decision_is_422_naming_the_field(client: TestClient, people: dict[str, Any],
                                              body: dict[str, Any], field: str) -> None:
    dc = make_dc(client, people["provider"].headers)
    make_cluster(client, people["provider"].headers, dc["id"], model="h800-sxm")
    auditor = people["auditor"]
    case_id = client.get("/api/v1/compliance/queue",
                         headers=auditor.headers).json()[0]["open_cases"][0]["id"]
    response = client.post(f"/api/v1/compliance/cases/{case_id}/decision", json=body,
                           headers=auditor.headers)
    assert response.status_code == 422 and response.json()["field"] == field
    case = client.get(f"/api/v1/compliance/cases/{case_id}", headers=auditor.headers).json()
    assert case["status"] == "open"


def test_only_auditors_decide_and_the_platform_only_watches(
        client: TestClient, people: dict[str, Any], listable: tuple[dict[str, Any], Any]
) -> None:
    cluster, _ = listable
    for who in (people["admin"], people["provider"]):
        response = client.post(f"/api/v1/compliance/clusters/{cluster['id']}/holds",
                               json={"reason": "x"}, headers=who.headers)
        assert response.status_code == 403
    assert client.get("/api/v1/compliance/queue", headers=people["admin"].headers
                      ).status_code == 200
    assert client.get("/api/v1/compliance/queue", headers=people["provider"].headers
                      ).status_code == 403
    unknown = client.post("/api/v1/compliance/clusters/999999/holds", json={"reason": "x"},
                          headers=people["auditor"].headers)
    assert unknown.status_code == 404 and unknown.json()["field"] == "cluster_id"


def test_decisions_and_holds_are_audited(client: TestClient, people: dict[str, Any],
                                         listable: tuple[dict[str, Any], Any]) -> None:
    cluster, _ = listable
    auditor = people["auditor"]
    held = client.post(f"/api/v1/compliance/clusters/{cluster['id']}/holds",
                       json={"reason": "spot check"}, headers=auditor.headers).json()
    _decide(client, auditor, held["id"], "lift", "fine")
    records = client.get(f"/api/v1/audit?object_type=compliance_case&object_id={held['id']}",
                         headers=auditor.headers).json()["items"]
    assert [r["action"] for r in records] == ["compliance_case.decide", "compliance_case.open"]
    assert records[0]["after"]["decision"] == "lift"
    statuses = client.get(f"/api/v1/audit?object_type=cluster&object_id={cluster['id']}",
                          headers=auditor.headers).json()["items"]
    assert "cluster.status" in [r["action"] for r in statuses]
