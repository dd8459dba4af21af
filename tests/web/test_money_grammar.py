"""One money grammar on the API and the pages: each bad form is a 422 naming the field
(never a 500), and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.ledger import service as ledger
from tests.kit.test_money import BAD_FORMS
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    offer_body,
    small_market,
)
from tests.programs.factory import make_program

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
# Page forms trim the whitespace around every field they read, as a form should; inside
# the field, the grammar is the same.
PAGE_FORMS = [text for text in BAD_FORMS if text.strip() == text and text]


def _field(response: Any) -> str | None:
    body = response.json()
    return body.get("field") or (body.get("errors") or [{}])[0].get("field")


def test_each_bad_form_is_refused_on_the_api(client: TestClient, member: Callable[..., Any],
                                             db: Session) -> None:
    m = small_market(client, member, cash="")
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    before = ledger.balance(db, program.budget_account).available
    calls: list[tuple[str, str, Callable[[str], dict[str, Any]], dict[str, str], str]] = [
        ("POST", "/api/v1/ledger/transfers", lambda v: {
            "id": "fix-1", "debit": "treasury:x", "credit": "treasury:y", "amount": v,
            "reason": "correction"}, m.admin.headers, "amount"),
        ("POST", f"/api/v1/programs/{program.id}/funding", lambda v: {"amount_cny": v},
         bureau.headers, "amount_cny"),
        ("POST", "/api/v1/market/deposits", lambda v: {
            "organisation": m.buyer.org_slug, "amount": v, "reference": "bank-9"},
         m.admin.headers, "amount"),
        ("POST", "/api/v1/market/offers", lambda v: offer_body(
            m.cluster["id"], ask_cny_per_gpu_hour=v), m.provider.headers,
         "ask_cny_per_gpu_hour"),
    ]
    wrong = []
    for text in BAD_FORMS:
        for method, path, body, headers, field in calls:
            response = client.request(method, path, json=body(text), headers=headers)
            if response.status_code != 422 or _field(response) != field:
                wrong.append(f"{path} {text!r}: {response.status_code} {response.text[:200]}")
        search = client.get("/api/v1/market/offers", params={"max_price": text},
                            headers=m.buyer.headers)
        if text.strip() and (search.status_code != 422 or _field(search) != "max_price"):
            wrong.append(f"max_price {text!r}: {search.status_code}")
    assert not wrong, "\n".join(wrong)
    assert ledger.balance(db, program.budget_account).available == before
    assert client.get("/api/v1/market/provider/offers",
                      headers=m.provider.headers).json()["total"] == 0


def test_negatives_only_where_allowed(client: TestClient, member: Callable[..., Any],
                                      db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    back = client.post(f"/api/v1/programs/{program.id}/funding", headers=bureau.headers,
                       json={"amount_cny": "-1000.00", "reason": "returned"})
    assert back.status_code == 201, back.text
    m = small_market(client, member, cash="")
    deposit = client.post("/api/v1/market/deposits", headers=m.admin.headers, json={
        "organisation": m.buyer.org_slug, "amount": "-5.00", "reference": "bank-1"})
    assert (deposit.status_code, _field(deposit)) == (422, "amount")


def test_each_bad_form_is_refused_on_a_page(client: TestClient, member: Callable[..., Any],
                                            db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    before = ledger.balance(db, program.budget_account).available
    wrong = []
    for text in PAGE_FORMS:
        page = client.post(f"/programs/{program.id}/funding", headers=bureau.headers,
                           data={"amount_cny": text, "reason": "top-up"},
                           follow_redirects=False)
        if page.status_code != 422 or 'id="e-amount_cny"' not in page.text:
            wrong.append(f"{text!r}: {page.status_code}")
    assert not wrong, "\n".join(wrong)
    assert ledger.balance(db, program.budget_account).available == before
    funded = client.post(f"/programs/{program.id}/funding", headers=bureau.headers,
                         data={"amount_cny": " 100.00 ", "reason": "top-up"},
                         follow_redirects=False)
    assert funded.status_code == 303
