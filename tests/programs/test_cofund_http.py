"""Co-funding through the API and the pages: funders on create and update, bad shares
refused naming the field with nothing written, each funder's part on the budget report."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.ledger.verify import verify
from suanli.programs import repository
from tests.programs.test_api import BODY
from tests.programs.test_pages import FORM
from tests.programs.world import World

FUNDERS: list[dict[str, Any]] = [
    {"name": "Henan Province", "label": "province", "share": "0.5"},
    {"name": "Zhengzhou City", "label": "city", "share": "0.5"}]


def count(db: Session, authority_id: int) -> int:
    return len(repository.programs(db, authority_ids=[authority_id], public=False))


def test_funders_through_the_api(client: TestClient, world: World, db: Session) -> None:
    headers = world.bureau.headers
    made = client.post("/api/v1/programs", headers=headers,
                       json=BODY | {"budget_cny": "20000000.01", "funders": FUNDERS})
    assert made.status_code == 201, made.text
    program = made.json()
    assert [f["share"] for f in program["funders"]] == ["0.50", "0.50"]
    url = f"/api/v1/programs/{program['id']}"
    budget = client.get(f"{url}/budget", headers=headers).json()
    assert budget["unissued_cny"] == "20000000.01"
    assert [(f["name"], f["funded_cny"], f["unissued_cny"], f["committed_cny"], f["paid_cny"])
            for f in budget["funders"]] == [
        ("Henan Province", "10000000.01", "10000000.01", "0.00", "0.00"),
        ("Zhengzhou City", "10000000.00", "10000000.00", "0.00", "0.00")]
    renamed = [FUNDERS[0] | {"name": "Henan Finance Department"}, FUNDERS[1]]
    changed = client.patch(url, headers=headers, json={"funders": renamed})
    assert changed.status_code == 200, changed.text
    assert changed.json()["funders"][0]["name"] == "Henan Finance Department"
    moved = client.patch(url, headers=headers, json={"funders": [
        FUNDERS[0] | {"share": "0.6"}, FUNDERS[1] | {"share": "0.4"}]})
    assert moved.status_code == 409 and moved.json()["field"] == "funders"
    plain = client.get(f"/api/v1/programs/{world.program.id}/budget", headers=headers).json()
    assert plain["funders"] == []
    assert verify(db).ok


def test_bad_funders_are_refused_naming_the_field(client: TestClient, world: World,
                                                  db: Session) -> None:
    before = count(db, world.bureau.org_id)
    for funders, field in (
            ([FUNDERS[0], FUNDERS[1] | {"share": "0.4"}], "funders"),
            ([FUNDERS[0] | {"share": "0"}, FUNDERS[1] | {"share": "1"}], "funders[0].share"),
            ([FUNDERS[0] | {"share": "1.5"}, FUNDERS[1]], "funders[0].share"),
            ([FUNDERS[0], FUNDERS[1] | {"share": "-0.5"}], "funders[1].share")):
        response = client.post("/api/v1/programs", headers=world.bureau.headers,
                               json=BODY | {"funders": funders})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field, response.json()
    assert count(db, world.bureau.org_id) == before


def test_funders_on_the_form_the_detail_and_the_budget_page(client: TestClient,
                                                            world: World) -> None:
    headers = world.bureau.headers
    bad = client.post("/programs/new", headers=headers, data=FORM | {"funders": json.dumps(
        [FUNDERS[0], FUNDERS[1] | {"share": "0.4"}])})
    assert bad.status_code == 422 and 'id="e-funders"' in bad.text
    made = client.post("/programs/new", headers=headers,
                       data=FORM | {"funders": json.dumps(FUNDERS)}, follow_redirects=False)
    assert made.status_code == 303, made.text
    detail = client.get(made.headers["location"], headers=headers).text
    assert 'data-testid="funders"' in detail and "Zhengzhou City (city): 0.50" in detail
    program_id = made.headers["location"].rstrip("/").split("/")[-1]
    assert f'data-testid="funders-{program_id}"' in detail
    assert "15,000,000.00" in detail  # each funder's half of 30 m
    budget = client.get("/programs/budget", headers=headers).text
    assert f'data-testid="funders-{program_id}"' in budget and "Henan Province" in budget


def test_a_tier_split_and_the_voucher_unit_through_the_api(client: TestClient, world: World,
                                                           db: Session) -> None:
    early = {"key": "early-stage", "name": "Early-stage", "rate": "0.50",
             "rule": {"all": [{"field": "headcount", "op": "le", "value": 100}]},
             "funder_shares": ["0.3", "0.7"], "max_days": 365}
    body = BODY | {"funders": FUNDERS, "tiers": [early], "voucher_unit": "tokens"}
    before = count(db, world.bureau.org_id)
    for tier, field in ((early | {"funder_shares": ["0.3", "0.6"]}, "tiers[0].funder_shares"),
                        (early | {"funder_shares": ["1.2", "-0.2"]},
                         "tiers[0].funder_shares[0]"),
                        (early | {"rate": "1.01"}, "tiers[0].rate"),
                        (early | {"max_days": 0}, "tiers[0].max_days")):
        bad = client.post("/api/v1/programs", headers=world.bureau.headers,
                          json=body | {"tiers": [tier]})
        assert bad.status_code == 422 and bad.json()["field"] == field, bad.text
    unit = client.post("/api/v1/programs", headers=world.bureau.headers,
                       json=body | {"voucher_unit": "minutes"})
    assert unit.status_code == 422 and "voucher_unit" in unit.json()["field"], unit.text
    assert count(db, world.bureau.org_id) == before
    made = client.post("/api/v1/programs", headers=world.bureau.headers, json=body)
    assert made.status_code == 201, made.text
    program = made.json()
    assert program["voucher_unit"] == "tokens"
    assert (program["tiers"][0]["funder_shares"], program["tiers"][0]["max_days"]) == (
        ["0.30", "0.70"], 365)
    url = f"/api/v1/programs/{program['id']}/funding"
    topped = client.post(url, headers=world.bureau.headers,
                         json={"amount_cny": "1000000.00", "funder": 2})
    assert topped.status_code == 201, topped.text
    assert [f["funded_cny"] for f in topped.json()["funders"]] == [
        "10000000.00", "11000000.00"]
    bad = client.post(url, headers=world.bureau.headers,
                      json={"amount_cny": "1.00", "funder": 3})
    assert bad.status_code == 422 and bad.json()["field"] == "funder"
    assert verify(db).ok
