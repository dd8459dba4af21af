"""The application form with its rule preview, evidence, submitting, the review queue."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.programs.world import World, save_profile

PROFILE = {"registered_city": "shanghai", "annual_revenue_cny": "3200000.00",
           "research_project_member": "no", "research_project_number": "",
           "headcount": "12", "founded_on": "2022-01-01", "model_filings": "0",
           "credit_record": "ok", "other_subsidies": ""}


def test_the_form_checks_the_rules_before_anything_is_saved(client: TestClient,
                                                            world: World) -> None:
    headers = world.buyer.headers
    pid = world.program.id
    page = client.get(f"/applications/new?program_id={pid}", headers=headers)
    assert page.status_code == 200
    assert f'data-preview-url="/api/v1/programs/{pid}/eligibility"' in page.text
    assert '<script src="/static/eligibility.js" defer></script>' in page.text
    check = client.post("/applications/new", headers=headers,
                        data=PROFILE | {"program_id": str(pid), "action": "check"})
    assert check.status_code == 200
    assert "Annual revenue 3.2 m CNY is below the required 5 m CNY" in check.text
    assert client.get("/api/v1/applications", headers=headers).json() == []
    bad = client.post("/applications/new", headers=headers,
                      data=PROFILE | {"program_id": str(pid), "action": "save",
                                      "headcount": "-3"})
    assert bad.status_code == 422 and 'id="e-headcount"' in bad.text


def test_save_attach_evidence_submit(client: TestClient, world: World,
                                     docs_dir: Path) -> None:
    headers = world.buyer.headers
    pid = world.program.id
    saved = client.post("/applications/new", headers=headers, follow_redirects=False,
                        data=PROFILE | {"program_id": str(pid), "action": "save",
                                        "annual_revenue_cny": "8000000.00"})
    assert saved.status_code == 303
    url = saved.headers["location"]
    draft = client.get(url, headers=headers)
    assert 'data-status="draft"' in draft.text and 'id="submit-application"' in draft.text
    wrong = client.post(url + "/evidence", headers=headers,
                        files={"file": ("revenue.pdf", b"MZ not a pdf", "application/pdf")})
    assert wrong.status_code == 422 and "not a PDF" in wrong.text
    ok = client.post(url + "/evidence", headers=headers, follow_redirects=False,
                     files={"file": ("revenue.csv", b"year,revenue\n2025,8000000\n",
                                     "text/csv")})
    assert ok.status_code == 303
    submitted = client.post(url + "/submit", headers=headers, follow_redirects=False)
    assert submitted.status_code == 303
    done = client.get(url, headers=headers)
    assert 'data-status="voucher_issued"' in done.text and "revenue.csv" in done.text
    wallet = client.get("/vouchers", headers=headers)
    assert 'data-testid="voucher"' in wallet.text and "1,000,000.00" in wallet.text
    assert client.get(url, headers=world.rival.headers).status_code == 404


def test_a_refusal_names_its_rule_on_the_form(client: TestClient, world: World) -> None:
    headers = world.buyer.headers
    data = PROFILE | {"program_id": str(world.program.id), "action": "save"}
    client.post("/applications/new", headers=headers, data=data)
    again = client.post("/applications/new", headers=headers, data=data)
    assert again.status_code == 409
    assert re.search(r'id="refused" data-rule="duplicate"', again.text)


def test_the_review_queue_and_a_decision(client: TestClient, world: World,
                                         db: Session) -> None:
    save_profile(db, world.buyer.org_id, credit_record=None)
    created = client.post("/api/v1/applications", headers=world.buyer.headers,
                          json={"program_id": world.program.id}).json()
    client.post(f"/api/v1/applications/{created['id']}/submit", headers=world.buyer.headers)
    queue = client.get("/review", headers=world.reviewer.headers)
    assert queue.status_code == 200 and f'data-application="{created["id"]}"' in queue.text
    assert "Credit record is not given" in queue.text
    url = f"/applications/{created['id']}"
    page = client.get(url, headers=world.reviewer.headers)
    assert 'id="decision-form"' in page.text
    bad = client.post(url + "/decision", headers=world.reviewer.headers,
                      data={"decision": "approve", "value_cny": "9000000.00",
                            "reason": "ok"})
    assert bad.status_code == 422 and 'id="e-value_cny"' in bad.text
    good = client.post(url + "/decision", headers=world.reviewer.headers,
                       follow_redirects=False,
                       data={"decision": "approve", "value_cny": "1200000.00",
                             "reason": "bank letter checked"})
    assert good.status_code == 303
    after = client.get(url, headers=world.buyer.headers)
    assert 'data-status="voucher_issued"' in after.text and "bank letter checked" in after.text
    assert client.get("/review", headers=world.buyer.headers).status_code == 403
