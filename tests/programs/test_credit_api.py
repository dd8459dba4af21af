"""The credit-line API: a program admin grants a line (limits refused naming
`credit_limit_cny`), buyers read and pay their bills, the platform records bank payments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import funds
from suanli.programs import credit_bills
from suanli.programs.credit_terms import month_end
from tests.programs.world import World

LINE = "/api/v1/programs/{}/credit-lines/acme"


def enable(client: TestClient, world: World) -> None:
    response = client.patch(f"/api/v1/programs/{world.program.id}",
                            headers=world.bureau.headers, json={"credit_lines": True})
    assert response.status_code == 200, response.text
    assert response.json()["credit_lines"] is True


@pytest.mark.parametrize(("limit", "status"), [("-1.00", 422), ("lots", 422), (1.5, 422),
                                               (5000, 422), ("1.001", 422)])
def test_a_bad_limit_is_refused_naming_it(client: TestClient, world: World, limit: object,
                                          status: int) -> None:
    enable(client, world)
    response = client.put(LINE.format(world.program.id), headers=world.bureau.headers,
                          json={"credit_limit_cny": limit, "due_days": 10})
    assert response.status_code == status, response.text
    assert "credit_limit_cny" in response.text
    lines = client.get(f"/api/v1/programs/{world.program.id}/credit-lines",
                       headers=world.bureau.headers).json()
    assert lines == []


def test_off_by_default_and_only_the_programs_admin_grants(client: TestClient,
                                                           world: World) -> None:
    body = {"credit_limit_cny": "100.00", "due_days": 10}
    off = client.put(LINE.format(world.program.id), headers=world.bureau.headers, json=body)
    assert off.status_code == 409 and off.json()["field"] == "credit_lines"
    enable(client, world)
    for who in (world.other_bureau, world.buyer):
        refused = client.put(LINE.format(world.program.id), headers=who.headers, json=body)
        assert refused.status_code in (403, 404)


def test_grant_bill_and_pay_through_the_api(client: TestClient, world: World,
                                            db: Session) -> None:
    enable(client, world)
    granted = client.put(LINE.format(world.program.id), headers=world.bureau.headers,
                         json={"credit_limit_cny": "5000.00", "due_days": 10})
    assert granted.status_code == 200, granted.text
    line = granted.json()
    assert (line["credit_limit_cny"], line["available_cny"]) == ("5000.00", "5000.00")
    provider = auth_service.create_organisation(db, slug="gpu-co", name="GPU Co",
                                                kind=OrgKind.PROVIDER)
    receivable = funds.ensure_receivable(db, provider)
    # What settlement does with a day's usage: post from the line to the provider.
    ledger.transfer(db, id="test-charge", debit=line["account"], credit=receivable,
                    amount=120_000, reason="settlement")
    first = to_shanghai(utcnow()).date().replace(day=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=month_end(first) + timedelta(1))
    funds.record_deposit(db, organisation="acme", amount_fen=50_000, reference="b1")
    db.commit()
    mine = client.get("/api/v1/credit-bills", headers=world.buyer.headers).json()
    assert [(b["id"], b["amount_cny"], b["outstanding_cny"]) for b in mine] == [
        (bill.id, "1200.00", "1200.00")]
    assert client.get("/api/v1/credit-bills", headers=world.rival.headers).json() == []
    paid = client.post(f"/api/v1/credit-bills/{bill.id}/payments", headers=world.buyer.headers,
                       json={"amount_cny": "500.00"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["outstanding_cny"] == "700.00"
    short = client.post(f"/api/v1/credit-bills/{bill.id}/payments",
                        headers=world.buyer.headers, json={})
    assert short.status_code == 409 and short.json()["field"] == "cash"
    other = client.post(f"/api/v1/credit-bills/{bill.id}/payments",
                        headers=world.rival.headers, json={})
    assert other.status_code == 404
    bank = client.post(f"/api/v1/credit-bills/{bill.id}/payments", headers=world.admin.headers,
                       json={"source": "bank", "reference": "swift-1"})
    assert bank.status_code == 201 and bank.json()["outstanding_cny"] == "0.00"
    again = client.get(f"/api/v1/programs/{world.program.id}/credit-lines",
                       headers=world.bureau.headers).json()
    assert again[0]["available_cny"] == "5000.00"
    assert verify(db).ok, verify(db).problem


def test_the_credit_lines_page_grants_and_shows_errors_in_place(client: TestClient,
                                                                 world: World) -> None:
    headers, pid = world.bureau.headers, world.program.id
    off = client.get(f"/programs/{pid}/credit-lines", headers=headers)
    assert off.status_code == 200 and 'data-testid="credit-off"' in off.text
    enable(client, world)
    detail = client.get(f"/programs/{pid}", headers=headers)
    assert f'href="/programs/{pid}/credit-lines"' in detail.text
    bad = client.post(f"/programs/{pid}/credit-lines", headers=headers,
                      data={"organisation": "acme", "credit_limit_cny": "-5.00",
                            "due_days": "10"})
    assert bad.status_code == 422 and 'id="e-credit_limit_cny"' in bad.text
    assert 'value="-5.00"' in bad.text  # as typed
    nobody = client.post(f"/programs/{pid}/credit-lines", headers=headers,
                         data={"organisation": "nobody", "credit_limit_cny": "5.00"})
    assert nobody.status_code == 422 and 'id="e-organisation"' in nobody.text
    made = client.post(f"/programs/{pid}/credit-lines", headers=headers, follow_redirects=False,
                       data={"organisation": "acme", "credit_limit_cny": "8000.00",
                             "due_days": "20"})
    assert made.status_code == 303
    page = client.get(made.headers["location"], headers=headers)
    assert "acme" in page.text and "8,000.00" in page.text
    assert client.get(f"/programs/{pid}/credit-lines",
                      headers=world.buyer.headers).status_code == 403


def test_the_bills_page_shows_a_buyers_bills_and_pays_them_from_cash(
        client: TestClient, world: World, db: Session) -> None:
    enable(client, world)
    client.put(LINE.format(world.program.id), headers=world.bureau.headers,
               json={"credit_limit_cny": "5000.00", "due_days": 0})
    provider = auth_service.create_organisation(db, slug="gpu-co", name="GPU Co",
                                                kind=OrgKind.PROVIDER)
    ledger.transfer(db, id="test-charge", debit="buyer-credit:acme",
                    credit=funds.ensure_receivable(db, provider), amount=70_000,
                    reason="settlement")
    first = to_shanghai(utcnow()).date().replace(day=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=month_end(first) + timedelta(1))
    db.commit()
    page = client.get("/credit-bills", headers=world.buyer.headers)
    assert page.status_code == 200 and f'data-testid="bill-{bill.id}"' in page.text
    assert "700.00" in page.text and f'id="pay-{bill.id}"' in page.text
    assert f"bill-{bill.id}" not in client.get("/credit-bills", headers=world.rival.headers).text
    short = client.post(f"/credit-bills/{bill.id}/pay", headers=world.buyer.headers)
    assert short.status_code == 409 and 'id="e-bill"' in short.text
    funds.record_deposit(db, organisation="acme", amount_fen=70_000, reference="b1")
    db.commit()
    paid = client.post(f"/credit-bills/{bill.id}/pay", headers=world.buyer.headers,
                       follow_redirects=False)
    assert paid.status_code == 303
    after = client.get("/credit-bills", headers=world.admin.headers)
    assert f'data-testid="bill-{bill.id}"' in after.text and f'id="pay-{bill.id}"' not in after.text
    assert verify(db).ok, verify(db).problem


def test_the_program_editor_turns_credit_lines_on(client: TestClient, world: World) -> None:
    from tests.programs.test_pages import FORM

    made = client.post("/programs/new", headers=world.bureau.headers, follow_redirects=False,
                       data=FORM | {"credit_lines": "on"})
    assert made.status_code == 303, made.text
    pid = int(made.headers["location"].rstrip("/").split("/")[-1])
    read = client.get(f"/api/v1/programs/{pid}", headers=world.bureau.headers).json()
    assert read["credit_lines"] is True
    detail = client.get(f"/programs/{pid}", headers=world.bureau.headers)
    assert f'href="/programs/{pid}/credit-lines"' in detail.text
    plain = client.post("/programs/new", headers=world.bureau.headers, follow_redirects=False,
                        data=FORM | {"name": "Plain vouchers"})
    other = int(plain.headers["location"].rstrip("/").split("/")[-1])
    assert client.get(f"/api/v1/programs/{other}",
                      headers=world.bureau.headers).json()["credit_lines"] is False


def test_shanghais_2026_preset_runs_on_credit_lines(client: TestClient, world: World,
                                                     db: Session) -> None:
    made = client.post("/api/v1/programs/presets/shanghai-2026", headers=world.bureau.headers,
                       json={})
    assert made.status_code == 201, made.text
    program = made.json()
    assert program["credit_lines"] is True
    # The 2025 measures' tiers and city/district split carry over to the 2026 scheme.
    assert [t["key"] for t in program["tiers"]] == ["early-stage", "city-30"]
    granted = client.put(LINE.format(program["id"]), headers=world.bureau.headers,
                         json={"credit_limit_cny": "20000.00", "due_days": 15})
    assert granted.status_code == 200, granted.text
    assert granted.json()["available_cny"] == "20000.00"
    assert verify(db).ok, verify(db).problem
