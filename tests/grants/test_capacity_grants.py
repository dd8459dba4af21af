"""Capacity grants through the API and the pages: a provider applies with the invoice, the
program's reviewer approves (the grant moves from the budget to its own account), the
sweep pays it after the listing period, or claws it back when the capacity leaves early.
The ledger verifies after every test that moves money."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.grants import service
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from tests.grants.conftest import GrantWorld, upload

URL = "/api/v1/capacity-grants"


def body(gw: GrantWorld, evidence: list[int], **change: Any) -> dict[str, Any]:
    return {"program_id": gw.program.id, "cluster_id": gw.cluster["id"],
            "purchase_cny": "800000.00", "evidence_document_ids": evidence, **change}


def apply(client: TestClient, gw: GrantWorld, **change: Any) -> dict[str, Any]:
    doc = upload(client, gw.provider, gw.cluster["id"])
    response = client.post(URL, headers=gw.provider.headers, json=body(gw, [doc], **change))
    assert response.status_code == 201, response.text
    return dict(response.json())


def decide(client: TestClient, gw: GrantWorld, grant_id: int, decision: str = "approve",
           who: Any = None) -> Any:
    return client.post(f"{URL}/{grant_id}/decision", headers=(who or gw.w.reviewer).headers,
                       json={"decision": decision, "reason": "invoice checked"})


def available(db: Session, code: str) -> int:
    return ledger.balance(db, code).available


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"grant_cny": "80000.01"}, 422, "grant_cny"),  # above 10 % of 800,000.00
    ({"purchase_cny": "20000000.00", "grant_cny": "1000000.01"}, 422, "grant_cny"),  # cap
    ({"purchase_cny": "0.00"}, 422, "purchase_cny"),
    ({"purchase_cny": "-5.00"}, 422, "purchase_cny"),
    ({"grant_cny": "0.00"}, 422, "grant_cny"),
    ({"purchase_cny": "lots"}, 422, "purchase_cny"),
    ({"evidence_document_ids": []}, 422, "evidence_document_ids"),
    ({"evidence_document_ids": [999999]}, 422, "evidence_document_ids[0]"),
    ({"cluster": "foreign"}, 422, "cluster_id"),
    ({"program": "none"}, 409, "program_id"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
        client: TestClient, gw: GrantWorld, db: Session, change: dict[str, Any], status: int,
        field: str) -> None:
    doc = upload(client, gw.provider, gw.cluster["id"])
    payload = body(gw, [doc])
    if change.pop("cluster", None):
        payload["cluster_id"] = gw.foreign["id"]
        payload["evidence_document_ids"] = [upload(client, gw.provider, gw.foreign["id"])]
    if change.pop("program", None):
        payload["program_id"] = gw.w.program.id  # a program without capacity grants
    payload.update(change)
    response = client.post(URL, headers=gw.provider.headers, json=payload)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert client.get(URL, headers=gw.provider.headers).json() == []


def test_approved_then_paid_after_the_listing_period(client: TestClient, gw: GrantWorld,
                                                     db: Session) -> None:
    budget = gw.program.budget_account
    before = available(db, budget)
    grant = apply(client, gw)
    assert (grant["status"], grant["grant_cny"], grant["share"]) == (
        "submitted", "80000.00", "0.10")  # the most the terms allow
    approved = decide(client, gw, grant["id"])
    assert approved.status_code == 200, approved.text
    grant = approved.json()
    assert grant["status"] == "approved" and grant["listing"] == {"listed": True,
                                                                   "problem": None}
    assert grant["gpus_listed"] == 16
    assert available(db, budget) == before - 80_000_00
    assert available(db, grant["account"]) == 80_000_00
    again = decide(client, gw, grant["id"])  # decided once
    assert again.status_code == 409 and again.json()["field"] == "decision"

    early = service.sweep(db, now=utcnow() + timedelta(days=29))
    assert (early.paid, early.clawed_back, early.waiting) == ([], [], 1)
    done = service.sweep(db, now=utcnow() + timedelta(days=31))
    db.commit()
    assert done.paid == [grant["id"]]
    assert available(db, "provider-payout:etown-gpu") == 80_000_00
    assert available(db, grant["account"]) == 0
    assert available(db, budget) == before - 80_000_00
    assert service.sweep(db, now=utcnow() + timedelta(days=40)).paid == []  # safe twice
    shown = client.get(f"{URL}/{grant['id']}", headers=gw.provider.headers).json()
    assert shown["status"] == "paid" and shown["paid_at"]
    assert verify(db).ok


def test_an_offer_withdrawn_early_claws_the_grant_back(client: TestClient, gw: GrantWorld,
                                                       db: Session) -> None:
    budget = gw.program.budget_account
    before = available(db, budget)
    grant = apply(client, gw, grant_cny="50000.00")
    assert decide(client, gw, grant["id"]).status_code == 200
    withdrawn = client.post(f"/api/v1/market/offers/{gw.offer['id']}/withdraw",
                            headers=gw.provider.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    shown = client.get(f"{URL}/{grant['id']}", headers=gw.w.reviewer.headers).json()
    assert shown["listing"]["listed"] is False and "no live offer" in shown["listing"][
        "problem"]
    report = service.sweep(db, now=utcnow() + timedelta(days=1))
    db.commit()
    assert report.clawed_back == [grant["id"]]
    shown = client.get(f"{URL}/{grant['id']}", headers=gw.provider.headers).json()
    assert shown["status"] == "clawed_back" and shown["clawback_reason"].startswith(
        "not_offered")
    assert available(db, budget) == before
    assert available(db, grant["account"]) == 0
    assert service.sweep(db, now=utcnow() + timedelta(days=60)).clawed_back == []
    assert verify(db).ok


def test_approval_needs_the_capacity_listed(client: TestClient, gw: GrantWorld,
                                            db: Session) -> None:
    grant = apply(client, gw)
    client.post(f"/api/v1/market/offers/{gw.offer['id']}/withdraw", headers=gw.provider.headers)
    refused = decide(client, gw, grant["id"])
    assert refused.status_code == 409 and refused.json()["field"] == "cluster_id"
    assert client.get(f"{URL}/{grant['id']}", headers=gw.provider.headers).json()[
        "status"] == "submitted"
    rejected = decide(client, gw, grant["id"], "reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert verify(db).ok


def test_who_sees_and_decides(client: TestClient, gw: GrantWorld) -> None:
    grant = apply(client, gw)
    again = client.post(URL, headers=gw.provider.headers,
                        json=body(gw, [upload(client, gw.provider, gw.cluster["id"])]))
    assert again.status_code == 409 and again.json()["field"] == "cluster_id"
    assert decide(client, gw, grant["id"], who=gw.w.other_reviewer).status_code == 404
    assert decide(client, gw, grant["id"], who=gw.w.bureau).status_code == 403
    for who, seen in ((gw.rival, []), (gw.w.other_bureau, []), (gw.w.bureau, [grant["id"]]),
                      (gw.w.auditor, [grant["id"]]), (gw.provider, [grant["id"]])):
        assert [g["id"] for g in client.get(URL, headers=who.headers).json()] == seen
    assert client.get(f"{URL}/{grant['id']}", headers=gw.rival.headers).status_code == 404
    evidence = grant["evidence_document_ids"][0]
    assert client.get(f"/api/v1/documents/{evidence}", headers=gw.w.reviewer.headers
                      ).status_code == 200
    assert client.get(f"/api/v1/documents/{evidence}", headers=gw.w.other_reviewer.headers
                      ).status_code == 404
    # another provider cannot put evidence on this cluster
    refused = client.post("/api/v1/documents", headers=gw.rival.headers,
                          data={"object_type": "grant_evidence",
                                "object_id": str(gw.cluster["id"])},
                          files={"file": ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert refused.status_code == 404


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pages_apply_decide_and_show_the_state(client: TestClient, gw: GrantWorld,
                                                   db: Session, lang: str) -> None:
    client.cookies.set("suanli_lang", lang)
    page = client.get("/capacity-grants", headers=gw.provider.headers)
    assert page.status_code == 200 and 'id="grant-form"' in page.text
    assert "c-910b" in page.text and "c-h20" not in page.text  # domestic clusters only
    form = {"program_id": str(gw.program.id), "cluster_id": str(gw.cluster["id"]),
            "purchase_cny": "800000.00", "grant_cny": "90000.00"}
    invoice = {"file": ("invoice.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    over = client.post("/capacity-grants", headers=gw.provider.headers, data=form,
                       files=invoice)
    assert over.status_code == 422 and 'id="e-grant_cny"' in over.text
    missing = client.post("/capacity-grants", headers=gw.provider.headers,
                          data=form | {"grant_cny": ""})
    assert missing.status_code == 422 and 'id="e-evidence_document_ids"' in missing.text
    assert client.get(URL, headers=gw.provider.headers).json() == []  # nothing half-written
    made = client.post("/capacity-grants", headers=gw.provider.headers,
                       data=form | {"grant_cny": ""}, files=invoice, follow_redirects=False)
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    mine = client.get(where, headers=gw.provider.headers)
    assert ("已提交" if lang == "zh" else "submitted") in mine.text
    assert 'id="grant-decision"' not in mine.text
    review = client.get(where, headers=gw.w.reviewer.headers)
    assert 'id="grant-decision"' in review.text and "invoice.pdf" in review.text
    decided = client.post(f"{where}/decision", headers=gw.w.reviewer.headers,
                          data={"decision": "approve", "reason": "ok"}, follow_redirects=False)
    assert decided.status_code == 303
    after = client.get(where, headers=gw.provider.headers)
    assert 'data-testid="grant-period"' in after.text
    assert ("上架中" if lang == "zh" else ">listed<") in after.text
    assert "80,000.00" in after.text
    assert verify(db).ok


def test_a_grant_the_budget_cannot_cover_is_refused_and_nothing_moves(
        client: TestClient, gw: GrantWorld, db: Session) -> None:
    from tests.programs.factory import make_program

    uncapped = make_program(db, gw.w.bureau.org_id, capacity_grant={
        "share": "0.10", "cap_cny": None, "listing_days": 30})
    db.commit()
    before = available(db, uncapped.budget_account)
    doc = upload(client, gw.provider, gw.cluster["id"])
    grant = client.post(URL, headers=gw.provider.headers, json=body(
        gw, [doc], program_id=uncapped.id, purchase_cny="200000000.00")).json()
    assert grant["grant_cny"] == "20000000.00"  # 10 %, no cap; the budget is 10 m
    refused = decide(client, gw, grant["id"])
    assert refused.status_code == 409, refused.text
    assert (refused.json()["type"].rsplit("/", 1)[1], refused.json()["field"]) == (
        "budget-exhausted", "amount_cny")
    assert available(db, uncapped.budget_account) == before
    assert client.get(f"{URL}/{grant['id']}", headers=gw.provider.headers).json()[
        "status"] == "submitted"
    assert verify(db).ok
