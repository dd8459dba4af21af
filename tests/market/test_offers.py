"""Offers: listing capacity, each validation rule (nothing written), scoping, search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.market.models import Offer
from suanli.providers.models import Cluster, ClusterStatus
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    hour,
    iso,
    issue_voucher,
    listable_cluster,
    offer_body,
    order_body,
    post_offer,
    small_market,
)
from tests.providers.helpers import make_cluster, make_dc, new_key

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Offer)).scalar_one())


def test_a_provider_lists_an_offer_and_sees_it(client: TestClient,
                                               member: Callable[..., Any]) -> None:
    m = small_market(client, member, cash="")
    offer = post_offer(client, m.provider.headers, m.cluster["id"], min_lease_hours=4)
    assert (offer["gpus"], offer["free_gpus"], offer["accelerator"]) == (16, 16, "h20")
    assert offer["ask_cny_per_gpu_hour"] == "10.00" and offer["status"] == "live"
    assert offer["location"] == "gs-qingyang" and offer["operator"] == "state"
    mine = client.get("/api/v1/market/provider/offers", headers=m.provider.headers).json()
    assert [o["id"] for o in mine["items"]] == [offer["id"]]
    withdrawn = client.post(f"/api/v1/market/offers/{offer['id']}/withdraw",
                            headers=m.provider.headers)
    assert withdrawn.json()["status"] == "withdrawn"
    found = client.get("/api/v1/market/offers", headers=m.buyer.headers).json()
    assert found == []


BAD_OFFERS: list[tuple[dict[str, Any], str, int]] = [
    ({"accelerator": "no-such-gpu"}, "accelerator", 422),
    ({"accelerator": "l20"}, "accelerator", 422),
    ({"gpus": -4}, "gpus", 422),
    ({"gpus": 0}, "gpus", 422),
    ({"gpus": 17}, "gpus", 422),
    ({"end_at": iso(hour(0)), "start_at": iso(hour(5))}, "end_at", 422),
    ({"start_at": iso(hour(-100)), "end_at": iso(hour(-50))}, "end_at", 422),
    ({"start_at": "2026-12-01T00:00:00"}, "start_at", 422),
    ({"ask_cny_per_gpu_hour": "-1.00"}, "ask_cny_per_gpu_hour", 422),
    ({"ask_cny_per_gpu_hour": "9.999"}, "ask_cny_per_gpu_hour", 422),
    ({"min_lease_hours": 0}, "min_lease_hours", 422),
    ({"min_lease_hours": 500}, "min_lease_hours", 422),
    ({"service_class": "gaming"}, "service_class", 422),
    ({"cancel_fee_rate": "1.5"}, "cancel_fee_rate", 422),
    ({"cluster_id": 999999}, "cluster_id", 404),
    ({"colour": "red"}, "colour", 422),
]


def test_bad_offers_are_refused_naming_the_field(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    provider = member(Role.PROVIDER)
    cluster = listable_cluster(client, provider.headers)
    wrong = []
    for change, field, status in BAD_OFFERS:
        response = client.post("/api/v1/market/offers", headers=provider.headers,
                               json=offer_body(cluster["id"], **change))
        got = (response.status_code, response.json().get("field"))
        if got != (status, field):
            wrong.append(f"{change}: {got}, wanted {(status, field)}")
    assert not wrong, wrong
    assert _count(db) == 0


def test_an_offer_on_another_organisations_cluster_is_404(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    other = member(Role.PROVIDER)
    response = client.post("/api/v1/market/offers", headers=other.headers,
                           json=offer_body(m.cluster["id"]))
    assert (response.status_code, response.json()["field"]) == (404, "cluster_id")
    assert _count(db) == 0


def test_a_cluster_that_may_not_list_is_409_with_its_reasons(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    provider = member(Role.PROVIDER)
    dc = make_dc(client, provider.headers)
    _, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], key=public)
    response = client.post("/api/v1/market/offers", headers=provider.headers,
                           json=offer_body(cluster["id"]))
    assert (response.status_code, response.json()["field"]) == (409, "cluster_id")
    assert response.json()["reasons"] == ["not attested yet"]
    assert _count(db) == 0


def test_the_same_gpus_cannot_be_listed_twice_in_one_window(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"], gpus=10)
    response = client.post("/api/v1/market/offers", headers=m.provider.headers,
                           json=offer_body(m.cluster["id"], gpus=8))
    assert (response.status_code, response.json()["field"]) == (409, "gpus")
    later = offer_body(m.cluster["id"], gpus=8, start_at=iso(hour(100)),
                       end_at=iso(hour(150)))
    assert client.post("/api/v1/market/offers", headers=m.provider.headers,
                       json=later).status_code == 201


def test_others_cannot_withdraw_or_see_a_withdrawn_offer(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member, cash="")
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    other = member(Role.PROVIDER)
    url = f"/api/v1/market/offers/{offer['id']}"
    assert client.post(url + "/withdraw", headers=other.headers).status_code == 404
    assert client.get(url, headers=m.buyer.headers).status_code == 200
    client.post(url + "/withdraw", headers=m.provider.headers)
    assert client.get(url, headers=m.buyer.headers).status_code == 404
    assert client.get(url, headers=m.provider.headers).status_code == 200
    assert client.get("/api/v1/market/provider/offers",
                      headers=other.headers).json()["items"] == []


def test_search_filters_and_shows_the_price_after_the_voucher(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"])  # state, h20, 10.00
    commercial = member(Role.PROVIDER)
    c2 = listable_cluster(client, commercial.headers, model="ascend-910b", name="c2",
                          hub_id="yrd-wuhu", operator_type="commercial")
    post_offer(client, commercial.headers, c2["id"], ask_cny_per_gpu_hour="20.00")
    voucher = issue_voucher(db, member, m.buyer.org_id)
    url = "/api/v1/market/offers"
    hits = client.get(url, params={"voucher_id": voucher.id}, headers=m.buyer.headers).json()
    prices = {h["accelerator"]: (h["subsidy_rate"], h["effective_cny_per_gpu_hour"])
              for h in hits}
    # state 50 %; commercial 30 % + 10 % domestic bonus = 40 %
    assert prices == {"h20": ("0.50", "5.00"), "ascend-910b": ("0.40", "12.00")}
    assert [h["accelerator"] for h in hits] == ["h20", "ascend-910b"]  # cheapest first
    one = client.get(url, params={"operator": "commercial"}, headers=m.buyer.headers).json()
    assert [h["accelerator"] for h in one] == ["ascend-910b"]
    near = client.get(url, params={"origin_city": "shanghai", "max_latency_ms": 15},
                      headers=m.buyer.headers).json()
    assert [h["location"] for h in near] == ["yrd-wuhu"]
    cheap = client.get(url, params={"max_price": "11.00"}, headers=m.buyer.headers).json()
    assert [h["accelerator"] for h in cheap] == ["h20"]
    big = client.get(url, params={"min_memory_gb": 90}, headers=m.buyer.headers).json()
    assert [h["accelerator"] for h in big] == ["h20"]


@pytest.mark.parametrize(("params", "field", "status"), [
    ({"accelerator": "no-such-gpu"}, "accelerator", 422),
    ({"hub": "atlantis"}, "hub", 422),
    ({"hub": "gs\x00qingyang"}, "hub", 422),
    ({"origin_city": "paris"}, "origin_city", 422),
    ({"max_latency_ms": 10}, "origin_city", 422),
    ({"max_price": "cheap"}, "max_price", 422),
    ({"voucher_id": 999999}, "voucher_id", 404),
    ({"operator": "pirate"}, "operator", 422),
])
def test_bad_searches_name_the_field(client: TestClient, member: Callable[..., Any],
                                     params: dict[str, Any], field: str, status: int) -> None:
    buyer = member(Role.BUYER)
    response = client.get("/api/v1/market/offers", params=params, headers=buyer.headers)
    assert (response.status_code, response.json()["field"]) == (status, field)


def test_another_startups_voucher_is_404_in_search(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    buyer, other = member(Role.BUYER), member(Role.BUYER)
    voucher = issue_voucher(db, member, other.org_id)
    response = client.get("/api/v1/market/offers", params={"voucher_id": voucher.id},
                          headers=buyer.headers)
    assert (response.status_code, response.json()["field"]) == (404, "voucher_id")


def test_offers_of_a_suspended_cluster_are_off_the_market(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    cluster = db.get(Cluster, m.cluster["id"])
    assert cluster is not None
    cluster.status = ClusterStatus.SUSPENDED  # as a compliance hold leaves it
    db.commit()
    assert client.get("/api/v1/market/offers", headers=m.buyer.headers).json() == []
    preview = client.post("/api/v1/market/orders/preview", headers=m.buyer.headers,
                          json=order_body()).json()
    assert [r["reason"] for r in preview["reasons"]] == ["no_such_accelerator"]
    bought = client.post("/api/v1/market/instant-buys", headers=m.buyer.headers,
                         json={"offer_id": offer["id"], "gpus": 1, "hours": 1})
    assert (bought.status_code, bought.json()["field"]) == (409, "offer_id")
