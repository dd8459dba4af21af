"""The applications API: profile, live preview, applying, review; bad input and isolation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.applications.models import Application, StartupProfile
from tests.programs.world import World, save_profile

GOOD = {"registered_city": "shanghai", "annual_revenue_cny": "8000000.00",
        "research_project_member": False, "headcount": 40, "founded_on": "2021-03-01",
        "model_filings": 1, "credit_record": "ok", "other_subsidies": []}


def rows(db: Session, model: type[Any]) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


BAD_PROFILES: list[tuple[dict[str, Any], str]] = [
    ({"annual_revenue_cny": "lots"}, "annual_revenue_cny"),
    ({"annual_revenue_cny": 8000000.5}, "annual_revenue_cny"),
    ({"registered_city": "atlantis"}, "registered_city"),
    ({"headcount": -1}, "headcount"),
    ({"credit_record": "excellent"}, "credit_record"),
    ({"founded_on": "2999-01-01"}, "founded_on"),
    ({"nickname": "acme"}, "nickname"),
    ({"research_project_number": "2024\u0000"}, "research_project_number"),
    ({"other_subsidies": ["rent\u0007"]}, "other_subsidies.0"),
]


def test_a_bad_profile_names_the_field_and_writes_nothing(client: TestClient, world: World,
                                                          db: Session) -> None:
    for change, field in BAD_PROFILES:
        response = client.put("/api/v1/applications/profile", headers=world.buyer.headers,
                              json=GOOD | change)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["field"] == field, (change, response.json())
    assert rows(db, StartupProfile) == 0


def test_the_live_preview_explains_each_rule(client: TestClient, world: World) -> None:
    url = f"/api/v1/programs/{world.program.id}/eligibility"
    low = client.post(url, headers=world.buyer.headers,
                      json={"profile": GOOD | {"annual_revenue_cny": "3200000.00"}}).json()
    assert low["outcome"] == "fail"
    sentences = [c["en"] for c in low["checks"] if c["effect"] == "fail"]
    assert "Annual revenue 3.2 m CNY is below the required 5 m CNY" in sentences
    assert any(c["zh"] == "年营业收入320万元，低于要求的500万元" for c in low["checks"])
    # Without a profile in the body: the startup's saved one (none yet: all to check).
    empty = client.post(url, headers=world.buyer.headers, json={}).json()
    assert empty["outcome"] == "needs_review"
    # A program admin may test a profile against its rules too.
    assert client.post(url, headers=world.bureau.headers,
                       json={"profile": GOOD}).json()["outcome"] == "pass"
    assert client.post(url, headers=world.auditor.headers, json={}).status_code == 403


def test_apply_submit_and_follow_to_the_wallet(client: TestClient, world: World,
                                               db: Session) -> None:
    assert client.put("/api/v1/applications/profile", headers=world.buyer.headers,
                      json=GOOD).status_code == 200
    created = client.post("/api/v1/applications", headers=world.buyer.headers,
                          json={"program_id": world.program.id})
    assert created.status_code == 201 and created.json()["status"] == "draft"
    app_id = created.json()["id"]
    duplicate = client.post("/api/v1/applications", headers=world.buyer.headers,
                            json={"program_id": world.program.id})
    assert duplicate.status_code == 409
    assert (duplicate.json()["rule"], duplicate.json()["field"]) == ("duplicate", "program_id")
    submitted = client.post(f"/api/v1/applications/{app_id}/submit",
                            headers=world.buyer.headers).json()
    assert submitted["status"] == "voucher_issued"
    assert [e["to_status"] for e in submitted["events"]] == [
        "draft", "submitted", "auto_approved", "voucher_issued"]
    wallet = client.get("/api/v1/vouchers", headers=world.buyer.headers).json()
    assert [v["id"] for v in wallet] == [submitted["voucher_id"]]
    assert wallet[0]["available_cny"] == "1000000.00"
    assert wallet[0]["terms"]["rate"] == {"state": "0.50", "commercial": "0.30"}


def test_other_startups_see_nothing(client: TestClient, world: World) -> None:
    created = client.post("/api/v1/applications", headers=world.buyer.headers,
                          json={"program_id": world.program.id}).json()
    url = f"/api/v1/applications/{created['id']}"
    assert client.get(url, headers=world.rival.headers).status_code == 404
    assert client.post(url + "/submit", headers=world.rival.headers).status_code == 404
    assert client.get("/api/v1/applications", headers=world.rival.headers).json() == []
    assert client.get(url, headers=world.other_reviewer.headers).status_code == 404
    for who in (world.reviewer, world.bureau, world.auditor, world.admin):
        assert client.get(url, headers=who.headers).status_code == 200, who.role


def test_review_queue_and_decisions(client: TestClient, world: World, db: Session) -> None:
    save_profile(db, world.buyer.org_id, credit_record=None)
    created = client.post("/api/v1/applications", headers=world.buyer.headers,
                          json={"program_id": world.program.id}).json()
    client.post(f"/api/v1/applications/{created['id']}/submit", headers=world.buyer.headers)
    queue = client.get("/api/v1/applications/queue", headers=world.reviewer.headers).json()
    assert [a["id"] for a in queue] == [created["id"]]
    checks = queue[0]["evaluation"]["checks"]
    assert any(c["effect"] == "needs_review" and c["field"] == "credit_record" for c in checks)
    assert client.get("/api/v1/applications/queue",
                      headers=world.other_reviewer.headers).json() == []
    url = f"/api/v1/applications/{created['id']}/decision"
    for body, field in (({"decision": "approve", "reason": "ok", "value_cny": "5000000.00"},
                         "value_cny"),
                        ({"decision": "approve", "reason": "ok"}, "value_cny"),
                        ({"decision": "approve", "reason": "", "value_cny": "1000000.00"},
                         "reason"),
                        ({"decision": "maybe", "reason": "ok"}, "decision"),
                        ({"decision": "reject", "reason": "no\u0000"}, "reason")):
        bad = client.post(url, headers=world.reviewer.headers, json=body)
        assert bad.status_code == 422 and bad.json()["field"] == field, bad.text
    assert rows(db, Application) == 1
    assert client.post(url, headers=world.other_reviewer.headers,
                       json={"decision": "reject", "reason": "x"}).status_code == 404
    done = client.post(url, headers=world.reviewer.headers,
                       json={"decision": "approve", "reason": "credit report checked",
                             "value_cny": "1500000.00"})
    assert done.status_code == 200 and done.json()["status"] == "voucher_issued"
    assert done.json()["value_cny"] == "1500000.00"
    again = client.post(url, headers=world.reviewer.headers,
                        json={"decision": "reject", "reason": "x"})
    assert again.status_code == 409 and again.json()["type"].endswith("/invalid-transition")


def test_refusals_name_their_rule(client: TestClient, world: World, db: Session) -> None:
    too_much = client.post("/api/v1/applications", headers=world.buyer.headers,
                           json={"program_id": world.program.id,
                                 "requested_value_cny": "9000000.00"})
    assert too_much.status_code == 422 and too_much.json()["field"] == "requested_value_cny"
    assert client.post("/api/v1/applications", headers=world.buyer.headers,
                       json={"program_id": 999999}).status_code == 404
    client.post(f"/api/v1/programs/{world.program.id}/status", headers=world.bureau.headers,
                json={"status": "closed"})
    closed = client.post("/api/v1/applications", headers=world.buyer.headers,
                         json={"program_id": world.program.id})
    assert closed.status_code == 409 and closed.json()["type"].endswith("/program-not-open")
    assert rows(db, Application) == 0
