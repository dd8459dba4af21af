"""The market's pages through HTTP: forms show errors in place and write nothing; the
platform runs rounds and records deposits; scoping holds on pages too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.audit.models import AuditRecord
from suanli.auth.roles import Role
from suanli.market import funds
from suanli.market.models import Contract, Offer, Order, Round
from tests.conftest import login
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")


def _count(db: Session, model: type[Any]) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def _form(client: TestClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data={**data, "csrf_token": client.cookies.get("suanli_csrf")},
                       follow_redirects=False)


def test_the_order_form_previews_places_and_shows_errors_in_place(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"])
    login(client, m.buyer.user.username)
    page = client.get("/market/orders/new")
    assert page.status_code == 200 and 'id="order-form"' in page.text
    fields = {"accelerators": "h20", "gpus": "8", "duration_hours": "10",
              "earliest_start": "", "latest_end": "", "limit_cny_per_gpu_hour": "12.00"}
    bad = _form(client, "/market/orders/new", {**fields, "action": "place"})
    assert bad.status_code == 422 and 'id="e-earliest_start"' in bad.text
    start, end = page.text.split('name="earliest_start" type="datetime-local" value="')[1][
        :16], page.text.split('name="latest_end" type="datetime-local" value="')[1][:16]
    fields |= {"earliest_start": start, "latest_end": end}
    preview = _form(client, "/market/orders/new", {**fields, "action": "preview"})
    assert 'data-testid="preview-candidates"' in preview.text and "10.00" in preview.text
    unknown = _form(client, "/market/orders/new", {**fields, "accelerators": "nope",
                                                   "action": "preview"})
    assert unknown.status_code == 422 and 'id="e-accelerators"' in unknown.text
    assert _count(db, Order) == 0
    placed = _form(client, "/market/orders/new", {**fields, "action": "place"})
    assert placed.status_code == 303 and _count(db, Order) == 1
    assert "data-order=" in client.get("/market/orders").text


def test_the_provider_offer_form(client: TestClient, member: Callable[..., Any],
                                 db: Session) -> None:
    m = small_market(client, member, cash="")
    login(client, m.provider.user.username)
    page = client.get("/market/provider/offers")
    assert page.status_code == 200 and 'id="new-offer"' in page.text
    data = {"cluster_id": str(m.cluster["id"]), "gpus": "99", "start_at": "2030-01-01T08:00",
            "end_at": "2030-01-03T08:00", "ask_cny_per_gpu_hour": "8.00",
            "min_lease_hours": "1", "service_class": "training", "cancel_fee_rate": "0.2"}
    bad = _form(client, "/market/provider/offers", data)
    assert bad.status_code == 422 and 'id="e-gpus"' in bad.text
    assert _count(db, Offer) == 0
    good = _form(client, "/market/provider/offers", {**data, "gpus": "8"})
    assert good.status_code == 303 and _count(db, Offer) == 1


def test_the_platform_runs_a_round_and_records_a_deposit(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    admin, buyer = member(Role.PLATFORM_ADMIN), member(Role.BUYER)
    login(client, admin.user.username)
    assert client.get("/market/rounds").status_code == 200
    ran = _form(client, "/market/rounds", {})
    assert ran.status_code == 303 and _count(db, Round) == 1
    bad = _form(client, "/market/deposits", {"organisation": buyer.org_slug, "amount": "-5",
                                             "reference": "b1"})
    assert bad.status_code == 422 and 'id="e-amount"' in bad.text
    good = _form(client, "/market/deposits", {"organisation": buyer.org_slug,
                                              "amount": "2500.00", "reference": "b1"})
    assert good.status_code == 200 and 'data-testid="notice"' in good.text
    _form(client, "/market/deposits", {"organisation": buyer.org_slug, "amount": "2500.00",
                                       "reference": "b1"})  # the same bank reference again
    assert funds.cash_balance(db, buyer.org_slug).available == 2500_00
    other = _form(client, "/market/deposits", {"organisation": "nobody", "amount": "1.00",
                                               "reference": "b2"})
    assert other.status_code == 422 and 'id="e-organisation"' in other.text


def test_deposits_and_cash_through_the_api(client: TestClient,
                                           member: Callable[..., Any]) -> None:
    admin, buyer, other = (member(Role.PLATFORM_ADMIN), member(Role.BUYER),
                           member(Role.BUYER))
    url = "/api/v1/market/deposits"
    for body, field in (({"organisation": buyer.org_slug, "amount": "0", "reference": "x"},
                         "amount"),
                        ({"organisation": admin.org_slug, "amount": "5.00", "reference": "x"},
                         "organisation"),
                        ({"organisation": "a\x00b", "amount": "5.00", "reference": "x"},
                         "organisation"),
                        ({"organisation": buyer.org_slug, "amount": "5.00",
                          "reference": "bad ref!"}, "reference")):
        response = client.post(url, json=body, headers=admin.headers)
        assert (response.status_code, response.json()["field"]) == (422, field), body
    body = {"organisation": buyer.org_slug, "amount": "5.00", "reference": "r1"}
    first = client.post(url, json=body, headers=admin.headers).json()
    assert (first["available_cny"], first["replayed"]) == ("5.00", False)
    clash = client.post(url, json={**body, "amount": "6.00"}, headers=admin.headers)
    assert clash.status_code == 409
    mine = client.get("/api/v1/market/cash", headers=buyer.headers).json()
    assert mine == [{"organisation": buyer.org_slug, "available_cny": "5.00",
                     "held_cny": "0.00", "posted_cny": "5.00"}]
    nosy = client.get("/api/v1/market/cash", params={"organisation": buyer.org_slug},
                      headers=other.headers)
    assert nosy.status_code == 404
    assert client.post(url, json=body, headers=buyer.headers).status_code == 403


def test_search_offer_page_and_instant_buy_form(client: TestClient, member: Callable[..., Any],
                                                db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    login(client, m.buyer.user.username)
    found = client.get("/market/offers", params={"accelerator": "h20", "max_price": "20"})
    assert found.status_code == 200 and f'data-offer="{offer["id"]}"' in found.text
    bad = client.get("/market/offers", params={"max_latency_ms": "soon"})
    assert bad.status_code == 422 and 'id="e-max_latency_ms"' in bad.text
    page = client.get(f"/market/offers/{offer['id']}")
    assert page.status_code == 200 and 'id="instant-buy"' in page.text
    url = f"/market/offers/{offer['id']}/buy"
    too_many = _form(client, url, {"gpus": "40", "hours": "2", "start_at": ""})
    assert too_many.status_code == 409 and 'id="e-gpus"' in too_many.text
    assert _count(db, Contract) == 0
    bought = _form(client, url, {"gpus": "4", "hours": "2", "start_at": ""})
    assert bought.status_code == 303 and _count(db, Contract) == 1
    contracts = client.get("/market/contracts")
    assert 'data-testid="buyer-contracts"' in contracts.text
    assert (db.execute(select(AuditRecord.action).where(
        AuditRecord.action == "contract.create")).scalar_one() == "contract.create")
