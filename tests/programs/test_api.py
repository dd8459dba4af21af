"""The programs API: creating, bad input (422 naming the field, nothing written), scoping,
rules, status, funding, budgets, presets and idempotent creation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.programs import repository
from tests.programs.world import World

BODY: dict[str, Any] = {
    "city": "shanghai", "name": "Inference vouchers", "year": 2026,
    "budget_cny": "20000000.00", "voucher_min_cny": "1000000.00",
    "voucher_max_cny": "2000000.00", "rates": {"state": "0.50", "commercial": "0.30"},
    "domestic_bonus": "0.10", "max_rate": "0.60", "validity_days": 365,
    "window_opens_at": "2026-01-01T00:00:00+08:00",
    "window_closes_at": "2030-01-01T00:00:00+08:00",
    "rules": {"all": [{"field": "registered_city", "op": "eq", "value": "shanghai"}]},
}


def count(db: Session, authority_id: int) -> int:
    return len(repository.programs(db, authority_ids=[authority_id], public=False))


def test_an_authority_creates_and_funds_a_program(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/programs", headers=world.bureau.headers, json=BODY)
    assert response.status_code == 201, response.text
    program = response.json()
    assert program["status"] == "draft" and program["default_value_cny"] == "1000000.00"
    assert program["rates"] == {"state": "0.50", "commercial": "0.30"}
    assert program["rules_text"] == "registered city = Shanghai"
    budget = client.get(f"/api/v1/programs/{program['id']}/budget",
                        headers=world.bureau.headers).json()
    assert budget["budget_cny"] == budget["unissued_cny"] == "20000000.00"


BAD_PROGRAMS: list[tuple[dict[str, Any], str]] = [
    ({"budget_cny": "lots"}, "budget_cny"),
    ({"name": "Vouchers\u0000"}, "name"),
    ({"budget_cny": 20000000}, "budget_cny"),
    ({"rates": {"state": "1.5", "commercial": "0.30"}}, "rates.state"),
    ({"max_rate": "0.123456"}, "max_rate"),
    ({"voucher_max_cny": "30000000.00"}, "voucher_max_cny"),
    ({"window_closes_at": "2025-01-01T00:00:00+08:00"}, "window_closes_at"),
    ({"window_opens_at": "2026-01-01T00:00:00"}, "window_opens_at"),
    ({"city": "atlantis"}, "city"),
    ({"colour": "red"}, "colour"),
    ({"rules": {"all": [{"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
                        {"field": "annual_revenue", "op": "lt", "value": "1000000.00"}]}},
     "rules.all[1].value"),
    ({"rules": {"all": [{"field": "revenue", "op": "ge", "value": "1.00"}]}},
     "rules.all[0].field"),
    # unknown values: a city the platform does not know, a choice the field does not have
    ({"rules": {"all": [{"field": "registered_city", "op": "eq", "value": "atlantis"}]}},
     "rules.all[0].value"),
    ({"rules": {"any": [{"field": "registered_city", "op": "in",
                         "value": ["shanghai", "gotham"]}]}}, "rules.any[0].value"),
    ({"rules": {"all": [{"not": {"field": "organisation_type", "op": "eq",
                                 "value": "charity"}}]}}, "rules.all[0].not.value"),
]


def test_bad_input_names_the_field_and_writes_nothing(client: TestClient, world: World,
                                                      db: Session) -> None:
    before = count(db, world.bureau.org_id)
    for change, field in BAD_PROGRAMS:
        response = client.post("/api/v1/programs", headers=world.bureau.headers,
                               json=BODY | change)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["field"] == field, (change, response.json())
        assert response.headers["content-type"].startswith("application/problem+json")
    assert count(db, world.bureau.org_id) == before


def test_drafts_are_private_and_others_programs_are_404(client: TestClient,
                                                        world: World) -> None:
    draft = client.post("/api/v1/programs", headers=world.bureau.headers, json=BODY).json()
    published = world.program.id
    for who, sees_draft in ((world.bureau, True), (world.reviewer, True),
                            (world.auditor, True), (world.admin, True),
                            (world.buyer, False), (world.other_bureau, False)):
        ids = {p["id"] for p in client.get("/api/v1/programs", headers=who.headers).json()}
        assert published in ids
        assert (draft["id"] in ids) is sees_draft, who.role
        got = client.get(f"/api/v1/programs/{draft['id']}", headers=who.headers)
        assert got.status_code == (200 if sees_draft else 404)
    patch = client.patch(f"/api/v1/programs/{published}", headers=world.other_bureau.headers,
                         json={"name": "Hijacked"})
    assert patch.status_code == 404
    assert client.patch(f"/api/v1/programs/{published}", headers=world.buyer.headers,
                        json={"name": "x"}).status_code == 403


def test_rules_status_and_funding(client: TestClient, world: World) -> None:
    pid = world.program.id
    headers = world.bureau.headers
    bad = client.put(f"/api/v1/programs/{pid}/rules", headers=headers,
                     json={"any": [{"field": "headcount", "op": "lt", "value": 0}]})
    assert bad.status_code == 422 and bad.json()["field"] == "rules.any[0].value"
    check = client.post(f"/api/v1/programs/{pid}/rules/check", headers=headers,
                        json={"not": {"all": []}}).json()
    assert check["ok"] is False and check["problems"][0]["field"] == "rules.not.all"
    good = client.put(f"/api/v1/programs/{pid}/rules", headers=headers,
                      json={"all": [{"field": "headcount", "op": "le", "value": 300}]})
    assert good.status_code == 200 and good.json()["rules_text"] == "headcount ≤ 300"
    closed = client.post(f"/api/v1/programs/{pid}/status", headers=headers,
                         json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    again = client.post(f"/api/v1/programs/{pid}/status", headers=headers,
                        json={"status": "published"})
    assert again.status_code == 409 and again.json()["field"] == "status"
    back = client.post(f"/api/v1/programs/{pid}/funding", headers=headers,
                       json={"amount_cny": "-11000000.00"})
    assert back.status_code == 409 and back.json()["type"].endswith("/budget-exhausted")
    ok = client.post(f"/api/v1/programs/{pid}/funding", headers=headers,
                     json={"amount_cny": "-4000000.00", "reason": "reallocated"})
    assert ok.status_code == 201 and ok.json()["unissued_cny"] == "6000000.00"
    bad_amount = client.post(f"/api/v1/programs/{pid}/funding", headers=headers,
                             json={"amount_cny": "1.001"})
    assert bad_amount.status_code == 422 and bad_amount.json()["field"] == "amount_cny"


def test_budgets_are_scoped(client: TestClient, world: World) -> None:
    own = client.get("/api/v1/programs/budgets", headers=world.bureau.headers).json()
    assert [b["program_id"] for b in own] == [world.program.id]
    assert client.get("/api/v1/programs/budgets", headers=world.other_bureau.headers).json() \
        == []
    assert client.get(f"/api/v1/programs/{world.program.id}/budget",
                      headers=world.other_bureau.headers).status_code == 404
    assert client.get("/api/v1/programs/budgets",
                      headers=world.buyer.headers).status_code == 403


def test_presets_and_idempotent_creation(client: TestClient, world: World,
                                         db: Session) -> None:
    presets = client.get("/api/v1/programs/presets", headers=world.buyer.headers).json()
    assert len({p["city"] for p in presets}) >= 17
    made = client.post("/api/v1/programs/presets/shenzhen", headers=world.bureau.headers,
                       json={})
    assert made.status_code == 201 and made.json()["rates"]["state"] == "0.50"
    assert made.json()["source"].startswith("aibase.com")
    missing = client.post("/api/v1/programs/presets/atlantis", headers=world.bureau.headers,
                          json={})
    assert missing.status_code == 422 and missing.json()["field"] == "preset"
    before = count(db, world.bureau.org_id)
    key = {"Idempotency-Key": "create-once"} | world.bureau.headers
    first = client.post("/api/v1/programs", headers=key, json=BODY)
    second = client.post("/api/v1/programs", headers=key, json=BODY)
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert count(db, world.bureau.org_id) == before + 1
