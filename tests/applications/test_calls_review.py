"""Calls for applications (a window and a budget slice each), two reviewers above a value,
and vouchers released in tranches; the ledger balances after each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.applications import repository
from suanli.applications.states import ApplicationStatus as S
from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.ledger.verify import verify
from suanli.programs import service as programs
from suanli.vouchers import service as vouchers
from tests.programs.factory import MILLION
from tests.programs.world import World, save_profile

TRANCHES = [{"share": "0.40", "milestone": "at issue"},
            {"share": "0.60", "milestone": "mid-term report accepted"}]


def apply(client: TestClient, who: Any, program_id: int, **extra: Any) -> dict[str, Any]:
    made = client.post("/api/v1/applications", headers=who.headers,
                       json={"program_id": program_id, **extra})
    assert made.status_code == 201, made.text
    done = client.post(f"/api/v1/applications/{made.json()['id']}/submit",
                       headers=who.headers)
    assert done.status_code == 200, done.text
    return dict(done.json())


def test_a_voucher_released_in_tranches(client: TestClient, world: World,
                                        db: Session) -> None:
    pid = world.program.id
    bad = client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                       json={"tranches": [TRANCHES[0], TRANCHES[1] | {"share": "0.50"}]})
    assert (bad.status_code, bad.json()["field"]) == (422, "tranches")
    ok = client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                      json={"tranches": TRANCHES})
    assert ok.status_code == 200 and ok.json()["tranches"] == TRANCHES
    save_profile(db, world.buyer.org_id)
    vid = apply(client, world.buyer, pid)["voucher_id"]
    voucher = vouchers.get(db, vid)
    assert vouchers.balance(db, voucher).available == 400_000_00
    assert programs.available_fen(db, world.program) == 9 * MILLION  # the rest is held
    assert vouchers.balance(db, voucher).awaiting == 600_000_00
    budget = client.get(f"/api/v1/programs/{pid}/budget", headers=world.bureau.headers).json()
    assert (budget["issued_cny"], budget["outstanding_cny"], budget["awaiting_cny"],
            budget["unissued_cny"]) == ("1000000.00", "400000.00", "600000.00", "9000000.00")
    url = f"/api/v1/vouchers/{vid}/tranches/1/release"
    assert client.post(url, headers=world.buyer.headers,
                       json={"reason": "trust me"}).status_code == 403
    assert client.post(url, headers=world.other_reviewer.headers,
                       json={"reason": "x"}).status_code == 404
    released = client.post(url, headers=world.reviewer.headers,
                           json={"reason": "report of 2026-05 accepted"})
    assert released.status_code == 200, released.text
    assert released.json()["available_cny"] == "1000000.00"
    assert released.json()["tranches"][1]["released_at"] is not None
    assert released.json()["awaiting_cny"] == "0.00"
    again = client.post(url, headers=world.reviewer.headers, json={"reason": "again"})
    assert (again.status_code, again.json()["field"]) == (409, "tranche")
    assert verify(db).ok


def test_clawback_returns_the_parts_still_held(client: TestClient, world: World,
                                               db: Session) -> None:
    pid = world.program.id
    client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                 json={"tranches": TRANCHES})
    save_profile(db, world.buyer.org_id)
    vid = apply(client, world.buyer, pid)["voucher_id"]
    clawed = client.post(f"/api/v1/vouchers/{vid}/clawback", headers=world.bureau.headers,
                         json={"reason": "fraud"})
    assert clawed.status_code == 200, clawed.text
    db.expire_all()
    assert programs.available_fen(db, world.program) == 10 * MILLION
    late = client.post(f"/api/v1/vouchers/{vid}/tranches/1/release",
                       headers=world.reviewer.headers, json={"reason": "late"})
    assert late.status_code == 409
    assert verify(db).ok


def test_two_reviewers_must_agree_above_the_value(client: TestClient, world: World,
                                                  db: Session,
                                                  member: Callable[..., Any]) -> None:
    pid = world.program.id
    second = member(Role.REVIEWER, org="sh-bureau")
    client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                 json={"second_review_above_cny": "1500000.00"})
    save_profile(db, world.buyer.org_id)
    app_id = apply(client, world.buyer, pid, requested_value_cny="2000000.00")["id"]
    url = f"/api/v1/applications/{app_id}/decision"
    body = {"decision": "approve", "reason": "plan checked", "value_cny": "2000000.00"}
    first = client.post(url, headers=world.reviewer.headers, json=body)
    assert first.status_code == 200 and first.json()["status"] == "needs_review"
    assert len(first.json()["approvals"]) == 1 and first.json()["voucher_id"] is None
    twice = client.post(url, headers=world.reviewer.headers, json=body)
    assert (twice.status_code, twice.json()["field"]) == (409, "decision")
    other_value = client.post(url, headers=second.headers,
                              json=body | {"value_cny": "1800000.00"})
    assert (other_value.status_code, other_value.json()["field"]) == (409, "value_cny")
    agreed = client.post(url, headers=second.headers, json=body | {"reason": "agreed"})
    assert agreed.json()["status"] == "voucher_issued", agreed.text
    assert len(agreed.json()["approvals"]) == 2
    reasons = [e.reason or "" for e in repository.events(db, app_id)]
    assert any("second reviewer must agree" in r for r in reasons)
    assert verify(db).ok


def test_applications_come_in_calls_with_a_budget_slice(client: TestClient, world: World,
                                                        db: Session) -> None:
    pid, headers = world.program.id, world.bureau.headers
    now = utcnow()
    window = {"opens_at": (now - timedelta(hours=1)).isoformat(),
              "closes_at": (now + timedelta(days=7)).isoformat()}
    calls = f"/api/v1/programs/{pid}/calls"
    too_big = client.post(calls, headers=headers,
                          json={"name": "Spring", "budget_cny": "20000000.00", **window})
    assert (too_big.status_code, too_big.json()["field"]) == (422, "budget_cny")
    backwards = client.post(calls, headers=headers, json={
        "name": "Spring", "budget_cny": "1000000.00", "opens_at": window["closes_at"],
        "closes_at": window["opens_at"]})
    assert (backwards.status_code, backwards.json()["field"]) == (422, "closes_at")
    later = client.post(calls, headers=headers, json={
        "name": "Autumn", "budget_cny": "5000000.00",
        "opens_at": (now + timedelta(days=30)).isoformat(),
        "closes_at": (now + timedelta(days=40)).isoformat()})
    assert later.status_code == 201
    spring = client.post(calls, headers=headers,
                         json={"name": "Spring", "budget_cny": "1000000.00", **window})
    assert spring.status_code == 201, spring.text
    assert [c["name"] for c in client.get(calls, headers=headers).json()] == ["Spring",
                                                                                "Autumn"]
    save_profile(db, world.buyer.org_id)
    save_profile(db, world.rival.org_id)
    first = apply(client, world.buyer, pid)
    assert first["call_id"] == spring.json()["id"] and first["status"] == "voucher_issued"
    second = apply(client, world.rival, pid)  # the slice is spent: it waits
    assert (second["status"], second["waiting_for_budget"]) == ("auto_approved", True)
    assert programs.available_fen(db, world.program) == 9 * MILLION
    closed = client.post("/api/v1/applications", headers=world.buyer.headers,
                         json={"program_id": pid, "call_id": later.json()["id"]})
    assert (closed.status_code, closed.json()["field"]) == (422, "call_id")
    assert "next opens" in closed.json()["detail"]
    assert S(second["status"]) == S.AUTO_APPROVED
    assert verify(db).ok


def test_calls_and_tranches_on_the_pages(client: TestClient, world: World,
                                         db: Session) -> None:
    pid, headers = world.program.id, world.bureau.headers
    today = utcnow().date()
    bad = client.post(f"/programs/{pid}/calls", headers=headers, data={
        "call_name": "Spring", "call_opens": str(today), "call_closes": "someday",
        "call_budget_cny": "1000000.00"})
    assert bad.status_code == 422 and 'id="e-call_closes"' in bad.text
    made = client.post(f"/programs/{pid}/calls", headers=headers, follow_redirects=False,
                       data={"call_name": "Spring", "call_opens": str(today - timedelta(1)),
                             "call_closes": str(today + timedelta(9)),
                             "call_budget_cny": "3000000.00"})
    assert made.status_code == 303
    assert "Spring" in client.get(f"/programs/{pid}", headers=headers).text
    client.patch(f"/api/v1/programs/{pid}", headers=headers, json={"tranches": TRANCHES})
    save_profile(db, world.buyer.org_id)
    vid = apply(client, world.buyer, pid)["voucher_id"]
    page = client.get(f"/vouchers/{vid}", headers=world.reviewer.headers)
    assert 'data-tranche="1" data-released="no"' in page.text and 'id="release-1"' in page.text
    program_page = client.get(f"/programs/{pid}", headers=headers).text
    assert 'data-testid="awaiting">600,000.00' in program_page
    assert 'id="release-1"' not in client.get(f"/vouchers/{vid}",
                                              headers=world.buyer.headers).text
    blank = client.post(f"/vouchers/{vid}/tranches/1/release", headers=world.reviewer.headers,
                        data={"reason": " "})
    assert blank.status_code == 422
    done = client.post(f"/vouchers/{vid}/tranches/1/release", headers=world.reviewer.headers,
                       data={"reason": "report accepted"})
    assert done.status_code == 200 and 'data-tranche="1" data-released="yes"' in done.text
    assert verify(db).ok


def test_batch_review_decides_each_on_its_own(client: TestClient, world: World,
                                              db: Session) -> None:
    pid = world.program.id
    client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                 json={"auto_approve": False})
    save_profile(db, world.buyer.org_id)
    save_profile(db, world.rival.org_id)
    one = apply(client, world.buyer, pid, requested_value_cny="1500000.00")["id"]
    two = apply(client, world.rival, pid)["id"]
    url = "/api/v1/applications/decisions"
    empty = client.post(url, headers=world.reviewer.headers,
                        json={"application_ids": [], "decision": "approve", "reason": "x"})
    assert empty.status_code == 422
    done = client.post(url, headers=world.reviewer.headers, json={
        "application_ids": [one, 999_999], "decision": "approve", "reason": "call 1 batch"})
    assert done.status_code == 200, done.text
    got = {r["application_id"]: r for r in done.json()}
    assert got[one]["status"] == "voucher_issued" and got[999_999]["error"]["status"] == 404
    app = client.get(f"/api/v1/applications/{one}", headers=world.reviewer.headers).json()
    assert app["value_cny"] == "1500000.00"  # what it asked for
    unconfirmed = client.post("/review/batch", headers=world.reviewer.headers,
                              data={"application_ids": [str(two)], "decision": "reject",
                                    "reason": "outside the call's focus"})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    page = client.post("/review/batch", headers=world.reviewer.headers,
                       data={"application_ids": [str(two)], "decision": "reject",
                             "reason": "outside the call's focus", "confirm": "yes"})
    assert page.status_code == 200
    assert f'data-application="{two}" data-status="rejected"' in page.text
    assert client.post("/review/batch", headers=world.reviewer.headers,
                       data={"decision": "approve", "reason": "x"}).status_code == 422
    assert verify(db).ok
