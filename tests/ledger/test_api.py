"""Ledger routes: scoping by organisation, money as strings, corrections, the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.ledger import service as ledger
from suanli.ledger.posting import AccountKind
from tests.conftest import Member
from tests.ledger.conftest import counts

API = "/api/v1/ledger"


class World(dict[str, Any]):
    """Members are made when first asked for: each costs a password hash."""

    def __init__(self, member: Callable[..., Member]) -> None:
        super().__init__()
        self.member = member

    def __missing__(self, key: str) -> Member:
        role = {"auditor": Role.AUDITOR, "admin": Role.PLATFORM_ADMIN,
                "provider": Role.PROVIDER}[key]
        self[key] = made = self.member(role)
        return made


@pytest.fixture
def world(db: Session, member: Callable[..., Member]) -> World:
    """Two startups with cash accounts and a city treasury; other members on demand."""
    w = World(member)
    w["buyer"], w["rival"] = member(Role.BUYER), member(Role.BUYER)
    ledger.open_account(db, code="treasury:city", kind=AccountKind.TREASURY, owner_org_id=None,
                        name="City treasury")
    for who in ("buyer", "rival"):
        code = f"buyer-cash:{w[who].org_slug}"
        w[f"{who}_code"] = code
        ledger.open_account(db, code=code, kind=AccountKind.BUYER_CASH,
                            owner_org_id=w[who].org_id, name=f"{who} cash",
                            debits_must_not_exceed_credits=True)
        ledger.transfer(db, id=f"fund-{who}", debit="treasury:city", credit=code,
                        amount=123_456, reason="fund")
    ledger.transfer(db, id="buyer-pays-rival", debit=w["buyer_code"], credit=w["rival_code"],
                    amount=1_050, reason="services", ref="invoice:7")
    db.commit()
    return w


def get(client: TestClient, who: Member, path: str) -> Any:
    return client.get(API + path, headers=who.headers)


def test_buyer_sees_only_its_own_accounts(client: TestClient, world: World) -> None:
    page = get(client, world["buyer"], "/accounts").json()
    assert [a["code"] for a in page["items"]] == [world["buyer_code"]]
    assert page["total"] == 1
    account = page["items"][0]
    assert account["balance"] == {
        "debits_posted": "10.50", "credits_posted": "1234.56", "debits_pending": "0.00",
        "credits_pending": "0.00", "posted": "1224.06", "available": "1224.06", "held": "0.00"}
    other = get(client, world["buyer"], f"/accounts/{world['rival_code']}")
    assert other.status_code == 404 and other.json()["field"] == "account"
    assert get(client, world["buyer"], "/accounts/treasury:city").status_code == 404
    assert get(client, world["provider"], "/accounts").json()["items"] == []


def test_auditor_and_admin_see_all(client: TestClient, world: World) -> None:
    for who in ("auditor", "admin"):
        codes = {a["code"] for a in get(client, world[who], "/accounts?limit=500").json()["items"]}
        assert {"treasury:city", world["buyer_code"], world["rival_code"]} <= codes
    one = get(client, world["auditor"], "/accounts/treasury:city").json()
    assert one["balance"]["posted"] == "-2469.12"
    filtered = get(client, world["auditor"], "/accounts?kind=treasury").json()["items"]
    assert {a["kind"] for a in filtered} == {"treasury"}


def test_history_and_transfer_scoping(client: TestClient, world: World) -> None:
    page = get(client, world["buyer"], f"/accounts/{world['buyer_code']}/transfers").json()
    assert [(i["version"], i["transfer"]["id"], i["balance_after"]["posted"])
            for i in page["items"]] == [(2, "buyer-pays-rival", "1224.06"),
                                        (1, "fund-buyer", "1234.56")]
    assert page["items"][0]["transfer"]["amount"] == "10.50"
    assert page["items"][0]["transfer"]["ref"] == "invoice:7"
    future = get(client, world["buyer"],
                 f"/accounts/{world['buyer_code']}/transfers?from=2999-01-01T00:00:00Z").json()
    assert future["items"] == [] and future["total"] == 0
    bad = get(client, world["buyer"], f"/accounts/{world['buyer_code']}/transfers"
              "?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z")
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    assert get(client, world["buyer"], "/accounts/treasury:city/transfers").status_code == 404
    # A transfer is visible to both sides, and to nobody else.
    for who, status in (("buyer", 200), ("rival", 200), ("auditor", 200), ("provider", 404)):
        assert get(client, world[who], "/transfers/buyer-pays-rival").status_code == status
    assert get(client, world["buyer"], "/transfers/fund-rival").status_code == 404
    assert get(client, world["auditor"], "/transfers/no-such").json()["field"] == "transfer"


def test_verify_route(client: TestClient, world: World) -> None:
    body = get(client, world["auditor"], "/verify").json()
    assert body["ok"] is True and body["problem"] is None
    assert get(client, world["buyer"], "/verify").status_code == 403


def test_correction_by_the_platform_operator(client: TestClient, db: Session,
                                             world: World) -> None:
    admin = world["admin"]
    body = {"id": "fix-1", "debit": world["rival_code"], "credit": world["buyer_code"],
            "amount": "10.50", "reason": "refund", "ref": "ticket:9"}
    first = client.post(f"{API}/transfers", json=body, headers=admin.headers)
    assert first.status_code == 201, first.text
    assert (first.json()["amount"], first.json()["replayed"]) == ("10.50", False)
    again = client.post(f"{API}/transfers", json=body, headers=admin.headers)
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    keyed = {**admin.headers, "Idempotency-Key": "fix-2-key"}
    one = client.post(f"{API}/transfers", json={**body, "id": "fix-2"}, headers=keyed)
    two = client.post(f"{API}/transfers", json={**body, "id": "fix-2"}, headers=keyed)
    assert (one.status_code, two.status_code) == (201, 201) and one.content == two.content
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert ledger.balance(db, world["buyer_code"]).posted == 123_456 - 1_050 + 2 * 1_050
    forbidden = client.post(f"{API}/transfers", json={**body, "id": "fix-3"},
                            headers=world["buyer"].headers)
    assert forbidden.status_code == 403


BAD_CORRECTIONS: list[tuple[dict[str, Any], int, str]] = [
    ({"amount": "1.234"}, 422, "amount"), ({"amount": "-5"}, 422, "amount"),
    ({"amount": "0"}, 422, "amount"), ({"amount": "abc"}, 422, "amount"),
    ({"amount": "92233720368547758.08"}, 422, "amount"), ({"amount": 5}, 422, "amount"),
    ({"debit": "nope:1"}, 422, "debit"), ({"credit": "nope:2"}, 422, "credit"),
    ({"credit": "treasury:city", "debit": "treasury:city"}, 422, "credit"),
    ({"reason": ""}, 422, "reason"), ({"color": "red"}, 422, "color"),
    ({"amount": "99999.00"}, 409, "amount"), ({"id": "fund-buyer"}, 409, "debit"),
]


def test_correction_bad_input_writes_nothing(client: TestClient, db: Session,
                                             world: World) -> None:
    before = counts(db)
    for change, status, field_ in BAD_CORRECTIONS:
        body = {"id": "fix-x", "debit": world["rival_code"], "credit": world["buyer_code"],
                "amount": "1.00", "reason": "refund", **change}
        response = client.post(f"{API}/transfers", json=body, headers=world["admin"].headers)
        assert response.status_code == status, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field_, change
        assert counts(db) == before, change


def test_ledger_page(client: TestClient, world: World) -> None:
    page = client.get("/ledger", headers=world["auditor"].headers)
    assert page.status_code == 200
    assert 'data-testid="ledger-verdict" data-ok="none"' in page.text  # never verified yet
    verified = client.post("/api/v1/integrity/checks", headers=world["auditor"].headers)
    assert verified.status_code == 201 and verified.json()["ledger"]["ok"] is True
    page = client.get("/ledger", headers=world["auditor"].headers)
    assert 'data-testid="ledger-verdict" data-ok="true"' in page.text and "tag good" in page.text
    assert world["buyer_code"] in page.text and "1,224.06" in page.text
    zh = client.get("/ledger", headers={**world["auditor"].headers, "Accept-Language": "zh-CN"})
    assert "账本" in zh.text and "可用（元）" in zh.text
    assert client.get("/ledger", headers=world["buyer"].headers).status_code == 403


def test_strange_input_is_a_clean_4xx(client: TestClient, world: World) -> None:
    """NUL characters cannot reach PostgreSQL text; nor may they cause a 500 anywhere."""
    auditor, admin = world["auditor"], world["admin"]
    for path in ("/accounts/a%00b", "/accounts/a%00b/transfers", "/transfers/a%00b",
                 "/accounts?kind=a%00b", "/accounts?offset=99999999999999999999"):
        response = get(client, auditor, path)
        assert response.status_code in (404, 422), (path, response.status_code)
    body = {"id": "fix\u0000", "debit": world["rival_code"], "credit": world["buyer_code"],
            "amount": "1.00", "reason": "r\u0000", "ref": "x\u0000"}
    for field_ in ("id", "reason", "ref"):
        clean = {**body, **{k: "ok" for k in ("id", "reason", "ref") if k != field_}}
        response = client.post(f"{API}/transfers", json=clean, headers=admin.headers)
        assert (response.status_code, response.json()["field"]) == (422, field_)
