"""Orders: validation (nothing written), scoping, cancelling, and the preview's reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.catalog.models import Accelerator
from suanli.market.models import Order
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    hour,
    iso,
    issue_voucher,
    listable_cluster,
    order_body,
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
ORDERS = "/api/v1/market/orders"


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Order)).scalar_one())


def test_a_buyer_places_lists_and_cancels_an_order(
        client: TestClient, db: Session, member: Callable[..., Any]) -> None:
    # The catalogue grows; the order names every listed model with both minimums met.
    big = sorted(a.model for a in db.scalars(select(Accelerator))
                 if (a.memory_gb or 0) >= 90 and (a.bf16_tflops_dense or 0) >= 100)
    assert {"ascend-910c", "h20"} <= set(big) and "a100-sxm-80g" not in big
    buyer = member(Role.BUYER)
    placed = client.post(ORDERS, json=order_body(min_memory_gb=90, min_tflops=100,
                                                 accelerators=[]),
                         headers=buyer.headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert sorted(order["accelerators"]) == big
    assert order["status"] == "open"
    assert order["limit_cny_per_gpu_hour"] == "12.00"
    listed = client.get(ORDERS, headers=buyer.headers).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    other = member(Role.BUYER)
    assert client.get(f"{ORDERS}/{order['id']}", headers=other.headers).status_code == 404
    assert client.post(f"{ORDERS}/{order['id']}/cancel",
                       headers=other.headers).status_code == 404
    assert client.get(ORDERS, headers=other.headers).json()["items"] == []
    auditor = member(Role.AUDITOR)
    assert client.get(f"{ORDERS}/{order['id']}", headers=auditor.headers).status_code == 200
    cancelled = client.post(f"{ORDERS}/{order['id']}/cancel", headers=buyer.headers)
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"{ORDERS}/{order['id']}/cancel", headers=buyer.headers)
    assert (again.status_code, again.json()["field"]) == (409, "status")


BAD_ORDERS: list[tuple[dict[str, Any], str, int]] = [
    ({"accelerators": ["no-such-gpu"]}, "accelerators[0]", 422),
    ({"accelerators": []}, "accelerators", 422),
    ({"accelerators": [], "min_memory_gb": 5000}, "min_memory_gb", 422),
    ({"gpus": 0}, "gpus", 422),
    ({"gpus": -3}, "gpus", 422),
    ({"duration_hours": 0}, "duration_hours", 422),
    ({"latest_end": iso(hour(0)), "earliest_start": iso(hour(5))}, "latest_end", 422),
    ({"duration_hours": 100}, "latest_end", 422),
    ({"earliest_start": "2026-12-01T00:00:00"}, "earliest_start", 422),
    ({"limit_cny_per_gpu_hour": "0"}, "limit_cny_per_gpu_hour", 422),
    ({"limit_cny_per_gpu_hour": 12.5}, "limit_cny_per_gpu_hour", 422),
    ({"origin_city": "paris"}, "origin_city", 422),
    ({"origin_city": "shang\x00hai"}, "origin_city", 422),
    ({"accelerators": ["h2\x000"]}, "accelerators[0]", 422),
    ({"max_latency_ms": 20}, "origin_city", 422),
    ({"voucher_id": 987654}, "voucher_id", 404),
    ({"organisation": "someone-else"}, "organisation", 404),
    ({"surprise": 1}, "surprise", 422),
]


def test_bad_orders_and_previews_are_refused_naming_the_field(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    buyer = member(Role.BUYER)
    wrong = []
    for change, field, status in BAD_ORDERS:
        for url in (ORDERS, f"{ORDERS}/preview"):
            response = client.post(url, json=order_body(**change), headers=buyer.headers)
            got = (response.status_code, response.json().get("field"))
            if got != (status, field):
                wrong.append(f"{url} {change}: {got}, wanted {(status, field)}")
    assert not wrong, wrong
    assert _count(db) == 0


def test_an_order_cannot_use_another_startups_voucher(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    buyer, other = member(Role.BUYER), member(Role.BUYER)
    voucher = issue_voucher(db, member, other.org_id)
    response = client.post(ORDERS, json=order_body(voucher_id=voucher.id),
                           headers=buyer.headers)
    assert (response.status_code, response.json()["field"]) == (404, "voucher_id")
    assert _count(db) == 0


def _preview(client: TestClient, headers: dict[str, str], **change: Any) -> dict[str, Any]:
    response = client.post(f"{ORDERS}/preview", json=order_body(**change), headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _reasons(preview: dict[str, Any]) -> list[str]:
    assert not preview["can_match"]
    return [r["reason"] for r in preview["reasons"]]


def test_the_preview_shows_the_price_after_the_voucher(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    voucher = issue_voucher(db, member, m.buyer.org_id)
    preview = _preview(client, m.buyer.headers, voucher_id=voucher.id)
    assert preview["can_match"] and preview["reasons"] == []
    (candidate,) = preview["candidates"]
    assert candidate["offer_id"] == offer["id"]
    assert (candidate["subsidy_rate"], candidate["effective_cny_per_gpu_hour"]) == ("0.50",
                                                                                   "5.00")
    assert (candidate["cost_cny"], candidate["subsidy_cny"],
            candidate["buyer_pays_cny"]) == ("800.00", "400.00", "400.00")  # 8 GPUs x 10 h


def test_each_reason_why_no_offer_can_serve(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"], gpus=8)  # Qingyang, state
    h = m.buyer.headers
    assert _reasons(_preview(client, h, accelerators=["l20"])) == ["no_such_accelerator"]
    assert _reasons(_preview(client, h, limit_cny_per_gpu_hour="9.99")) == ["over_limit"]
    assert _reasons(_preview(client, h, gpus=9)) == ["no_capacity"]
    assert _reasons(_preview(client, h, earliest_start=iso(hour(80)),
                             latest_end=iso(hour(120)))) == ["no_capacity"]
    assert _reasons(_preview(client, h, origin_city="shanghai",
                             max_latency_ms=5)) == ["latency"]
    listed = issue_voucher(db, member, m.buyer.org_id, provider_mode="list",
                           provider_slugs=["someone-else"])
    assert _reasons(_preview(client, h, voucher_id=listed.id,
                             limit_cny_per_gpu_hour="6.00")) == ["voucher_not_accepted"]
    refused = _preview(client, h, voucher_id=listed.id)  # full ask is within the limit
    assert refused["candidates"][0]["voucher_accepted"] is False
    assert refused["candidates"][0]["effective_cny_per_gpu_hour"] == "10.00"


def test_min_lease_and_sold_capacity_show_in_the_preview(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"], min_lease_hours=24)
    h = m.buyer.headers
    assert _reasons(_preview(client, h)) == ["min_lease"]
    bought = client.post("/api/v1/market/instant-buys", headers=h, json={
        "offer_id": offer["id"], "gpus": 10, "hours": 24})
    assert bought.status_code == 201, bought.text
    soon = {"duration_hours": 24, "latest_end": iso(hour(30))}
    assert _reasons(_preview(client, h, gpus=8, **soon)) == ["no_capacity"]
    assert _preview(client, h, gpus=6, **soon)["can_match"]
    assert _preview(client, h, gpus=8, duration_hours=24)["can_match"]  # after the buy


def test_a_second_provider_in_the_east_serves_low_latency(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"])
    east = member(Role.PROVIDER)
    cluster = listable_cluster(client, east.headers, name="east", hub_id="yrd-demo-zone",
                               operator_type="commercial")
    post_offer(client, east.headers, cluster["id"], ask_cny_per_gpu_hour="11.00")
    preview = _preview(client, m.buyer.headers, origin_city="shanghai", max_latency_ms=10)
    assert [c["location"] for c in preview["candidates"]] == ["yrd-demo-zone"]
