"""Rates by applicant tier through applications, vouchers, the API and the pages: the tier
that applies is the one the voucher carries, with its cap; bad tiers are refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.applications import review, service
from suanli.applications.errors import YearlyCapExceeded
from suanli.applications.states import ApplicationStatus as S
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.kit.errors import ValidationFailed
from suanli.ledger.verify import verify
from suanli.programs import service as programs
from suanli.vouchers import service as vouchers
from suanli.vouchers.terms import voucher_terms
from tests.programs.factory import MILLION, make_program, passing_profile
from tests.programs.world import World, save_profile

YOUNG = {"field": "company_age_years", "op": "le", "value": "3.00"}
TIERS: list[dict[str, Any]] = [
    {"key": "startup", "name": "Startups", "rule": {"all": [YOUNG]}, "rate": "0.60",
     "max_rate": "0.60", "source": "aibase.com/news/14082"},
    {"key": "lab", "name": "Research bodies",
     "rule": {"all": [{"field": "research_project_member", "op": "eq", "value": True}]},
     "rate": "0.40", "cap_per_firm_cny": "1000000.00"},
]


def org(db: Session, slug: str) -> int:
    return auth_service.create_organisation(db, slug=slug, name=slug,
                                            kind=OrgKind.STARTUP).id


def apply(db: Session, program: Any, org_id: int, requested: int | None = None,
          **profile: Any) -> Any:
    service.save_profile(db, organisation_id=org_id, values=passing_profile(**profile),
                         user_id=None)
    draft = service.create(db, program=program, organisation_id=org_id, user_id=None,
                           requested_value_fen=requested)
    return service.submit(db, application=draft, user_id=None)


@pytest.fixture
def program(db: Session) -> Any:
    bureau = auth_service.create_organisation(db, slug="sz-bureau", name="Bureau",
                                              kind=OrgKind.AUTHORITY)
    return make_program(db, bureau.id, tiers=TIERS, rate_state_bp=5000, domestic_bonus_bp=0,
                        rate_commercial_bp=5000, max_rate_bp=5000)


def test_each_applicant_gets_the_rates_of_its_tier(db: Session, program: Any) -> None:
    young = apply(db, program, org(db, "young"), founded_on=date.today().replace(year=2025))
    old = apply(db, program, org(db, "old"), founded_on=date(2010, 1, 1))
    lab = apply(db, program, org(db, "lab"), founded_on=date(2010, 1, 1),
                research_project_member=True, research_project_number="NSFC-1")
    got = {}
    for application in (young, old, lab):
        assert application.status == S.VOUCHER_ISSUED
        voucher = vouchers.get(db, application.voucher_id)
        got[application.tier_key] = voucher_terms(voucher)
        assert voucher.tier_key == application.tier_key
    assert got["startup"]["rate"] == {"state": "0.60", "commercial": "0.60"}
    assert got["startup"]["max_rate"] == "0.60"
    assert got[None]["rate"] == {"state": "0.50", "commercial": "0.50"}
    assert got["lab"]["rate"]["commercial"] == "0.40"
    tier = young.evaluation["tier"]
    assert tier["key"] == "startup" and "Startups applies" in tier["why"]
    assert lab.evaluation["tier"]["tried"][0]["outcome"] == "fail"
    assert verify(db).ok


def test_the_tier_cap_limits_the_firm(db: Session, program: Any) -> None:
    lab_id = org(db, "lab")
    apply(db, program, lab_id, founded_on=date(2010, 1, 1), research_project_member=True,
          research_project_number="NSFC-1")
    with pytest.raises(YearlyCapExceeded) as caught:
        service.create(db, program=program, organisation_id=lab_id, user_id=None)
    assert caught.value.extra["cap_fen"] == MILLION  # the tier's, not the program's 2 m
    assert verify(db).ok


def test_an_unknown_tier_fact_passes_the_tier_over(db: Session, program: Any) -> None:
    application = apply(db, program, org(db, "vague"), founded_on=None)
    assert application.status == S.VOUCHER_ISSUED and application.tier_key is None
    assert application.evaluation["tier"]["undecided"] == "startup"
    assert "passed over" in application.evaluation["tier"]["why"]
    assert vouchers.get(db, application.voucher_id).rate_state_bp == 5000
    assert verify(db).ok


def test_a_reviewer_picks_the_tier(db: Session, program: Any) -> None:
    programs.update(db, program=program, changes={"auto_approve": False}, user_id=None)
    application = apply(db, program, org(db, "vague"), founded_on=None)
    assert application.status == S.NEEDS_REVIEW
    with pytest.raises(ValidationFailed) as caught:
        review.decide(db, application_id=application.id, approve=True, reason="ok",
                      value_fen=MILLION, user_id=None, authority_ids=None, tier="gold")
    assert caught.value.field == "tier"
    decided = review.decide(db, application_id=application.id, approve=True,
                            reason="founded 2024, registry checked", value_fen=MILLION,
                            user_id=None, authority_ids=None, tier="startup")
    assert decided.tier_key == "startup"
    voucher = vouchers.get(db, decided.voucher_id)
    assert voucher.tier_key == "startup" and voucher.rate_state_bp == 6000
    assert verify(db).ok


def test_the_program_refuses_tiers_over_100_percent(db: Session, program: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        programs.update(db, program=program, changes={"domestic_bonus_bp": 5000},
                        user_id=None)
    assert caught.value.field == "tiers[0].rate"  # 60 % + 50 % bonus
    db.rollback()


def test_tiers_through_the_api(client: TestClient, world: World, db: Session) -> None:
    pid, headers = world.program.id, world.bureau.headers
    bad = client.patch(f"/api/v1/programs/{pid}", headers=headers,
                       json={"tiers": [TIERS[0] | {"rate": "1.50"}]})
    assert bad.status_code == 422 and bad.json()["field"] == "tiers[0].rate"
    assert client.get(f"/api/v1/programs/{pid}", headers=headers).json()["tiers"] == []
    good = client.patch(f"/api/v1/programs/{pid}", headers=headers, json={"tiers": TIERS})
    assert good.status_code == 200, good.text
    assert good.json()["tiers"][1]["max_rate"] == "0.50"  # 0.40 + the 0.10 bonus
    save_profile(db, world.buyer.org_id, founded_on=date.today().replace(year=2025))
    preview = client.post(f"/api/v1/programs/{pid}/eligibility", headers=world.buyer.headers,
                          json={}).json()
    assert preview["tier"]["key"] == "startup" and preview["tier"]["rate"] == "0.60"
    made = client.post("/api/v1/applications", headers=world.buyer.headers,
                       json={"program_id": pid}).json()
    page = client.get(f"/applications/{made['id']}", headers=world.buyer.headers)
    assert 'data-tier="startup"' in page.text and "Startups applies" in page.text


def test_tiers_on_the_program_form(client: TestClient, world: World) -> None:
    pid, headers = world.program.id, world.bureau.headers
    form = client.get(f"/programs/{pid}/edit", headers=headers)
    assert 'name="tiers"' in form.text
    fields = {m[0]: m[1] for m in
              __import__("re").findall(r'name="([a-z_]+)" type="[a-z]+" value="([^"]*)"',
                                       form.text)}
    import json
    base = {**fields, "rate_state": "0.50", "rate_commercial": "0.30", "auto_approve": "on",
            "provider_mode": "all", "redemption_mode": "provider_claims", "city": "shanghai"}
    bad = client.post(f"/programs/{pid}/edit", headers=headers,
                      data=base | {"tiers": json.dumps([TIERS[0] | {"max_rate": "0.10"}])})
    assert bad.status_code == 422 and 'id="e-tiers"' in bad.text
    assert "tiers[0].max_rate" in bad.text
    not_json = client.post(f"/programs/{pid}/edit", headers=headers,
                           data=base | {"tiers": "[{"})
    assert not_json.status_code == 422 and 'id="e-tiers"' in not_json.text
    ok = client.post(f"/programs/{pid}/edit", headers=headers,
                     data=base | {"tiers": json.dumps(TIERS)}, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    detail = client.get(f"/programs/{pid}", headers=headers)
    assert 'data-tier="lab"' in detail.text and "aibase.com/news/14082" in detail.text


def test_the_profile_says_what_tiers_read(client: TestClient, world: World) -> None:
    url, headers = "/api/v1/applications/profile", world.buyer.headers
    bad = client.put(url, headers=headers, json={"organisation_type": "ngo"})
    assert (bad.status_code, bad.json()["field"]) == (422, "organisation_type")
    saved = client.put(url, headers=headers, json={"organisation_type": "university",
                                                   "project_lead": "national"})
    assert saved.status_code == 200, saved.text
    got = client.get(url, headers=headers).json()
    assert (got["organisation_type"], got["project_lead"]) == ("university", "national")
    lab = TIERS[1] | {"rule": {"all": [{"field": "organisation_type", "op": "in",
                                        "value": ["university", "research_institute"]}]}}
    client.patch(f"/api/v1/programs/{world.program.id}", headers=world.bureau.headers,
                 json={"tiers": [lab]})
    preview = client.post(f"/api/v1/programs/{world.program.id}/eligibility",
                          headers=headers, json={}).json()
    assert preview["tier"]["key"] == "lab"
    form = client.get("/applications/profile", headers=headers)
    assert form.status_code == 200 and 'name="organisation_type"' in form.text


def test_a_reviewer_sets_the_tier_on_the_page(client: TestClient, world: World,
                                              db: Session) -> None:
    pid = world.program.id
    client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                 json={"tiers": TIERS})
    client.patch(f"/api/v1/programs/{pid}", headers=world.bureau.headers,
                 json={"auto_approve": False})
    save_profile(db, world.buyer.org_id, founded_on=None)  # the tier cannot be decided
    made = client.post("/api/v1/applications", headers=world.buyer.headers,
                       json={"program_id": pid}).json()
    sent = client.post(f"/api/v1/applications/{made['id']}/submit",
                       headers=world.buyer.headers).json()
    assert sent["status"] == "needs_review"
    page = client.get(f"/applications/{made['id']}", headers=world.reviewer.headers).text
    assert 'name="tier"' in page and '<option value="lab">' in page
    bad = client.post(f"/applications/{made['id']}/decision", headers=world.reviewer.headers,
                      data={"decision": "approve", "reason": "ok", "value_cny": "1000000.00",
                            "tier": "gold"})
    assert bad.status_code == 422
    client.post(f"/applications/{made['id']}/decision", headers=world.reviewer.headers,
                data={"decision": "approve", "reason": "registry: founded 2025",
                      "value_cny": "1000000.00", "tier": "startup"})
    got = client.get(f"/api/v1/applications/{made['id']}", headers=world.buyer.headers).json()
    assert got["tier"] == "startup" and got["status"] == "voucher_issued"
    assert verify(db).ok
