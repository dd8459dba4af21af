"""CSV exports: every row the viewer may see and none it may not; money as decimal text."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.applications import service as applications
from suanli.auth.roles import Role
from tests.conftest import login
from tests.settlement.world import World, build_world, cheap_passwords

__all__ = ["cheap_passwords"]


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member)
    applications.create(db, program=w.program, organisation_id=w.buyer.org_id, user_id=None,
                         requested_value_fen=1_000_000_00)
    db.commit()
    return w


def _csv(client: TestClient, path: str) -> list[dict[str, str]]:
    got = client.get(path)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))


def test_the_buyer_exports_its_own_rows(client: TestClient, world: World,
                                        member: Callable[..., Any]) -> None:
    login(client, world.buyer.user.username)
    (contract,) = _csv(client, "/exports/contracts.csv")
    assert contract["id"] == str(world.contract.id)
    assert (contract["cost_cny"], contract["subsidy_cny"], contract["buyer_pays_cny"]) == (
        "3840.00", "1920.00", "1920.00")
    (voucher,) = _csv(client, "/exports/vouchers.csv")
    assert voucher["id"] == str(world.voucher.id) and voucher["face_value_cny"] == "1000000.00"
    assert voucher["held_cny"] == "1920.00"
    (application,) = _csv(client, "/exports/applications.csv")
    assert application["requested_cny"] == "1000000.00" and application["status"] == "draft"
    client.cookies.clear()
    login(client, member(Role.BUYER).user.username)
    assert _csv(client, "/exports/contracts.csv") == []
    assert _csv(client, "/exports/vouchers.csv") == []
    assert _csv(client, "/exports/applications.csv") == []


def test_the_provider_exports_its_contracts_but_not_the_audit_log(
        client: TestClient, world: World) -> None:
    login(client, world.provider.user.username)
    assert [r["id"] for r in _csv(client, "/exports/contracts.csv")] == [
        str(world.contract.id)]
    assert client.get("/exports/audit.csv").status_code == 403
    assert client.get("/exports/vouchers.csv").status_code == 403


def test_the_auditor_exports_the_whole_audit_log(client: TestClient, world: World,
                                                 member: Callable[..., Any], db: Session,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from suanli.dashboards import exports

    monkeypatch.setattr(exports, "BATCH", 3)  # several batches, and no record twice
    login(client, member(Role.AUDITOR).user.username)
    rows = _csv(client, "/exports/audit.csv")
    seqs = [int(r["seq"]) for r in rows]
    count = db.execute(text("SELECT count(*) FROM audit_records")).scalar_one()
    assert len(seqs) == count > 3 and seqs == sorted(set(seqs))
