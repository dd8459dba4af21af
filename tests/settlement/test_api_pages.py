"""Invoices, statements and claims over the API and on pages; downloads open."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.settlement import service
from suanli.settlement.charges import period_of
from tests.conftest import login
from tests.settlement.usage import use
from tests.settlement.world import World, build_world


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member)
    use(db, w, (0, 24, 8), (24, 36, 8))
    service.settle_period(db, period_end=w.day1)
    service.settle_period(db, period_end=w.day2)
    db.flush()
    return w


def test_invoices(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    listed = client.get("/api/v1/settlement/invoices", headers=world.buyer.headers).json()
    assert listed["total"] == 2
    first = min(listed["items"], key=lambda i: i["period"])
    assert (first["charge_cny"], first["voucher_share_cny"], first["buyer_share_cny"]) == (
        "1920.00", "960.00", "960.00")
    detail = client.get(f"/api/v1/settlement/invoices/{first['id']}",
                        headers=world.buyer.headers).json()
    (line,) = detail["lines"]
    assert line["gpu_hours"] == "192.00" and line["claim_status"] == "submitted"
    other = member(Role.BUYER)
    assert client.get("/api/v1/settlement/invoices", headers=other.headers).json()["total"] == 0
    assert client.get(f"/api/v1/settlement/invoices/{first['id']}",
                      headers=other.headers).status_code == 404

    login(client, world.buyer.user.username)
    page = client.get("/invoices")
    assert page.status_code == 200 and first["number"] in page.text
    assert client.get(f"/invoices/{first['id']}").status_code == 200
    got = client.get(f"/invoices/{first['id']}/download?format=csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][0] == "contract" and rows[1][4] == "1920.00" and rows[-1][0] == "total"
    book = load_workbook(io.BytesIO(client.get(
        f"/invoices/{first['id']}/download?format=xlsx").content))
    assert book.active["E2"].value == 1920
    assert client.get(f"/invoices/{first['id']}/download?format=pdf").status_code == 422


def test_statements(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    got = client.get("/api/v1/settlement/statements", headers=world.provider.headers,
                     params={"since": str(world.day1), "until": str(world.day2)})
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["paid_out_cny"] == "1440.00" and len(doc["lines"]) == 2
    bad = client.get("/api/v1/settlement/statements", headers=world.provider.headers,
                     params={"since": str(world.day2), "until": str(world.day1)})
    assert bad.status_code == 422 and bad.json()["field"] == "since"
    admin = member(Role.PLATFORM_ADMIN)
    assert client.get("/api/v1/settlement/statements", headers=admin.headers).json()[
        "field"] == "organisation_id"
    other = member(Role.PROVIDER)
    assert client.get("/api/v1/settlement/statements", headers=other.headers,
                      params={"organisation_id": world.provider.org_id}).status_code == 404

    login(client, admin.user.username)
    pick = client.get("/statements")
    assert pick.status_code == 200 and f"organisation_id={world.provider.org_id}" in pick.text
    page = client.get(f"/statements?organisation_id={world.provider.org_id}"
                      f"&since={world.day1}&until={world.day2}")
    assert page.status_code == 200 and "1,440.00" in page.text
    down = client.get(f"/statements/download?organisation_id={world.provider.org_id}"
                      f"&since={world.day1}&until={world.day2}&format=xlsx")
    assert load_workbook(io.BytesIO(down.content)).active.max_row == 3


def test_claims_over_the_api(client: TestClient, world: World,
                             member: Callable[..., Any]) -> None:
    mine = client.get("/api/v1/settlement/claims", headers=world.provider.headers).json()
    assert mine["total"] == 2
    deciding = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    queue = client.get("/api/v1/settlement/claims?status=submitted",
                       headers=deciding.headers).json()
    first, second = sorted(queue["items"], key=lambda c: c["id"])
    assert first["evidence"]["invoice"]["charge_fen"] == 192_000
    outsider = member(Role.PROGRAM_ADMIN)
    assert client.post(f"/api/v1/settlement/claims/{first['id']}/approve", json={},
                       headers=outsider.headers).status_code == 404
    assert client.get(f"/api/v1/settlement/claims/{first['id']}",
                      headers=outsider.headers).status_code == 404
    approved = client.post(f"/api/v1/settlement/claims/{first['id']}/approve", json={},
                           headers=deciding.headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["transfer_ids"] == [f"claim:{first['id']}:payout"]
    again = client.post(f"/api/v1/settlement/claims/{first['id']}/approve", json={},
                        headers=deciding.headers)
    assert again.status_code == 409
    empty = client.post(f"/api/v1/settlement/claims/{second['id']}/reject", json={},
                        headers=deciding.headers)
    assert empty.status_code == 422 and empty.json()["field"] == "reason"
    blank = client.post(f"/api/v1/settlement/claims/{second['id']}/reject",
                        json={"reason": "  "}, headers=deciding.headers)
    assert blank.status_code == 422 and blank.json()["field"] == "reason"


def test_claims_on_pages(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    deciding = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    login(client, deciding.user.username)
    queue = client.get("/claims?status=submitted")
    assert queue.status_code == 200
    claim_id = int(queue.text.split('href="/claims/')[1].split('"')[0])
    page = client.get(f"/claims/{claim_id}")
    assert page.status_code == 200 and 'data-testid="decide"' in page.text
    csrf = client.cookies.get("suanli_csrf")
    refused = client.post(f"/claims/{claim_id}/reject", data={"csrf_token": csrf, "reason": "",
                                                               "confirm": "yes"})
    assert refused.status_code == 422 and 'id="e-reason"' in refused.text
    done = client.post(f"/claims/{claim_id}/reject", follow_redirects=False,
                       data={"csrf_token": csrf, "reason": "logs missing", "confirm": "yes"})
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "logs missing" in shown.text and 'data-testid="claim-done"' in shown.text


def test_settlement_runs(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    today = period_of(utcnow())
    refused = client.post("/api/v1/settlement/runs", json={"period_end": str(today)},
                          headers=admin.headers)
    assert refused.status_code == 422 and refused.json()["field"] == "period_end"
    again = client.post("/api/v1/settlement/runs", json={"period_end": str(world.day1)},
                        headers=admin.headers)
    assert again.status_code == 200 and again.json()["unchanged"] == 0  # day 1: ended contract
    assert client.post("/api/v1/settlement/runs", json={"period_end": "yesterday"},
                       headers=admin.headers).status_code == 422
