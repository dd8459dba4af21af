"""The usage API: providers report their own contracts' usage; parties read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from tests.settlement.world import World, build_world


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    return build_world(db, member)


def record(world: World, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"contract_id": world.contract.id, "ref": "job-1", "gpus": 4,
                            "start": world.start.isoformat(),
                            "end": (world.start + timedelta(hours=2)).isoformat()}
    body.update(change)
    return body


def test_report_then_read(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    headers = {**world.provider.headers, "Idempotency-Key": "usage-1"}
    later = {"start": (world.start + timedelta(hours=2)).isoformat(),
             "end": (world.start + timedelta(hours=4)).isoformat()}
    body = {"records": [record(world), record(world, ref="job-2", gpus=None,
                                              gpu_uuids=world.uuids[:2], **later)]}
    first = client.post("/api/v1/metering/usage", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["accepted"] == 3 and first.json()["duplicates"] == 0
    replay = client.post("/api/v1/metering/usage", json=body, headers=headers)
    assert replay.json() == first.json()
    again = client.post("/api/v1/metering/usage", json=body, headers=world.provider.headers)
    assert again.status_code == 201 and again.json()["duplicates"] == 3

    for reader in (world.provider, world.buyer, member(Role.AUDITOR)):
        got = client.get(f"/api/v1/metering/contracts/{world.contract.id}/usage",
                         headers=reader.headers)
        assert got.status_code == 200, got.text
        doc = got.json()
        assert doc["summary"] == {"records": 3, "gpu_seconds": 4 * 7200 + 2 * 7200,
                                  "billable_gpu_seconds": 6 * 7200, "flagged": 0}
        assert {i["gpu_uuid"] for i in doc["items"]} == {None, *world.uuids[:2]}
    stranger = member(Role.BUYER)
    assert client.get(f"/api/v1/metering/contracts/{world.contract.id}/usage",
                      headers=stranger.headers).status_code == 404
    batches = client.get("/api/v1/metering/batches", headers=world.provider.headers).json()
    assert batches["total"] == 2


def test_another_providers_contract_is_404(client: TestClient, world: World,
                                           member: Callable[..., Any]) -> None:
    other = member(Role.PROVIDER)
    response = client.post("/api/v1/metering/usage", json={"records": [record(world)]},
                           headers=other.headers)
    assert response.status_code == 404
    assert response.json()["field"] == "records[0].contract_id"
    got = client.get(f"/api/v1/metering/contracts/{world.contract.id}/usage",
                     headers=world.provider.headers).json()
    assert got["summary"]["records"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"gpus": 0}, "records.0.gpus"),
    ({"end": "2026-01-01T00:00:00"}, "records.0.end"),
    ({"gpus": 2, "gpu_uuids": ["GPU-a"]}, "records.0.gpus"),
    ({"colour": "red"}, "records.0.colour"),
    ({"gpu_seconds": 10**9}, "records.0.gpu_seconds"),
])
def test_bad_records_are_422_naming_the_field(client: TestClient, world: World,
                                              change: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/metering/usage", json={"records": [record(world, **change)]},
                           headers=world.provider.headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_empty_and_missing_records(client: TestClient, world: World) -> None:
    for body in ({"records": []}, {}, {"records": [record(world)], "extra": 1}):
        response = client.post("/api/v1/metering/usage", json=body,
                               headers=world.provider.headers)
        assert response.status_code == 422, body


def test_flags_are_visible_on_records(client: TestClient, world: World) -> None:
    body = {"records": [record(world, gpus=12)]}  # the contract has 8 GPUs
    response = client.post("/api/v1/metering/usage", json=body, headers=world.provider.headers)
    assert response.json()["flagged"] == 1
    doc = client.get(f"/api/v1/metering/contracts/{world.contract.id}/usage",
                     headers=world.provider.headers).json()
    assert doc["items"][0]["flags"] == ["above_contracted_gpus"]
    assert doc["summary"]["billable_gpu_seconds"] == 8 * 7200 and doc["summary"]["flagged"] == 1


def test_agent_records_of_a_cluster_are_attributed_by_placement(
        client: TestClient, world: World, member: Callable[..., Any]) -> None:
    """The shape `suanli-agent collect` posts: cluster and GPU UUIDs, no contract. The
    contract's placement holds node-00's GPUs; node-01's time is unattributed."""
    start = world.start + timedelta(hours=1)
    body = {"records": [{"cluster_id": world.cluster.id, "gpu_uuids": world.uuids[6:10],
                         "start": start.isoformat(),
                         "end": (start + timedelta(minutes=5)).isoformat(),
                         "ref": "node-00:2026-12-01T01:00:00Z"}]}
    headers = {**world.provider.headers, "Idempotency-Key": "collect-1"}
    first = client.post("/api/v1/metering/usage", json=body, headers=headers)
    assert first.status_code == 201, first.text
    doc = first.json()
    assert (doc["accepted"], doc["unattributed_gpu_seconds"]) == (2, 2 * 300)
    assert [(u["record"], u["gpu_uuid"]) for u in doc["unattributed"]] == [
        (0, world.uuids[8]), (0, world.uuids[9])]
    assert client.post("/api/v1/metering/usage", json=body, headers=headers).json() == doc
    usage = client.get(f"/api/v1/metering/contracts/{world.contract.id}/usage",
                       headers=world.buyer.headers).json()
    assert usage["summary"]["billable_gpu_seconds"] == 2 * 300
    assert {i["gpu_uuid"] for i in usage["items"]} == set(world.uuids[6:8])
    stranger = member(Role.PROVIDER)
    foreign = client.post("/api/v1/metering/usage", json=body, headers=stranger.headers)
    assert foreign.status_code == 404 and foreign.json()["field"] == "records[0].cluster_id"


def test_usage_ending_in_the_future_is_422_naming_end(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    body = {"records": [record(world, start=now.isoformat(),
                               end=(now + timedelta(hours=1)).isoformat())]}
    response = client.post("/api/v1/metering/usage", json=body, headers=world.provider.headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "records[0].end"
    assert "future" in response.json()["detail"]
