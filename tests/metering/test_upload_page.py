"""The provider's usage upload page runs the CLI's importer and shows its per-row report;
the cluster's agent token is made from the cluster's page and works on the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.metering.models import UsageRecord
from tests.conftest import login
from tests.settlement.world import World, build_world, cheap_passwords

__all__ = ["cheap_passwords"]


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member)
    db.commit()
    return w


def _lines(world: World) -> bytes:
    good = {"contract_id": world.contract.id, "ref": "a", "gpus": 8,
            "start": world.start.isoformat(),
            "end": (world.start + timedelta(hours=2)).isoformat()}
    bad = {**good, "ref": "b", "gpus": "many"}
    return "\n".join([json.dumps(good), json.dumps(bad)]).encode()


def _upload(client: TestClient, body: bytes, fmt: str = "json") -> Any:
    return client.post("/providers/usage", data={
        "format": fmt, "csrf_token": client.cookies.get("suanli_csrf")},
        files={"file": ("usage.jsonl", body, "application/x-ndjson")})


def _records(db: Session, world: World) -> int:
    db.expire_all()
    return int(db.execute(select(func.count()).select_from(UsageRecord)
                          .where(UsageRecord.contract_id == world.contract.id)).scalar_one())


def test_an_upload_stores_good_rows_and_lists_the_refused_ones(
        client: TestClient, world: World, db: Session) -> None:
    login(client, world.provider.user.username)
    assert client.get("/providers/usage").status_code == 200
    got = _upload(client, _lines(world))
    assert got.status_code == 200  # the good row landed, the bad one is listed
    text = got.text
    assert re.search(r'data-testid="usage-accepted">1<', text)
    assert re.search(r'data-testid="usage-refused">1<', text)
    assert '<tr data-line="2">' in text
    assert _records(db, world) == 1
    again = _upload(client, _lines(world)[:_lines(world).index(b"\n")])
    assert again.status_code == 200 and re.search(r'data-testid="usage-duplicates">1<',
                                                  again.text)
    assert _records(db, world) == 1


def test_bad_uploads_name_the_field(client: TestClient, world: World, db: Session) -> None:
    login(client, world.provider.user.username)
    assert _upload(client, b"x", fmt="csv").status_code == 422
    assert _upload(client, b"\xff\xfe\x00bad").status_code == 422
    assert _records(db, world) == 0


def test_only_providers_upload(client: TestClient, world: World) -> None:
    login(client, world.buyer.user.username)
    assert client.get("/providers/usage").status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_agent_token_is_made_on_the_cluster_page(
        client: TestClient, world: World, member: Callable[..., Any], lang: str) -> None:
    login(client, world.provider.user.username)
    client.cookies.set("suanli_lang", lang)
    cluster = client.get(f"/providers/clusters/{world.cluster.id}").text
    assert f'href="/providers/clusters/{world.cluster.id}/agent"' in cluster
    made = client.post(f"/providers/clusters/{world.cluster.id}/agent",
                       data={"csrf_token": client.cookies.get("suanli_csrf")})
    assert made.status_code == 200
    assert ("shown once" if lang == "en" else "仅显示一次") in made.text
    secret = re.search(r'data-testid="agent-token">([^<]+)<', made.text)
    assert secret is not None
    listed = client.get("/api/v1/metering/batches",
                        headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert listed.status_code == 200
    client.cookies.clear()
    login(client, member(Role.PROVIDER).user.username)
    assert client.post(f"/providers/clusters/{world.cluster.id}/agent", data={
        "csrf_token": client.cookies.get("suanli_csrf")}).status_code == 404


def test_refusals_speak_chinese_on_chinese_pages(client: TestClient, world: World) -> None:
    login(client, world.provider.user.username)
    client.cookies.set("suanli_lang", "zh")
    assert "请选择 sacct" in _upload(client, b"x", fmt="csv").text
    assert "UTF-8编码" in _upload(client, b"\xff\xfe\x00bad").text
