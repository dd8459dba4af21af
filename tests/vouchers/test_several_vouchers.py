"""A buyer holding several vouchers: without naming one, the order spends the one expiring
soonest that may pay for it; naming one spends that one; the preview shows the choice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.kit.timeutil import to_shanghai
from suanli.ledger.verify import verify
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    issue_voucher,
    order_body,
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
ORDERS = "/api/v1/market/orders"


def test_the_voucher_expiring_soonest_is_spent_unless_the_buyer_chooses(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"])
    late = issue_voucher(db, member, m.buyer.org_id, validity_days=300)
    soon = issue_voucher(db, member, m.buyer.org_id, validity_days=30)
    # Expires first, but its program pays for no contract over 5 hours: not this order's.
    short = issue_voucher(db, member, m.buyer.org_id, validity_days=10, max_contract_days=1)
    h = m.buyer.headers
    auto = client.post(f"{ORDERS}/preview", headers=h,
                       json=order_body(voucher_choice="soonest", duration_hours=30)).json()
    assert auto["voucher"]["voucher_id"] == soon.id
    assert auto["voucher"]["chosen_by"] == "soonest"
    assert [o["voucher_id"] for o in auto["voucher"]["others"]] == [late.id]
    assert auto["candidates"][0]["subsidy_rate"] == "0.50"
    small = client.post(f"{ORDERS}/preview", headers=h,
                        json=order_body(voucher_choice="soonest", duration_hours=5)).json()
    assert small["voucher"]["voucher_id"] == short.id
    chosen = client.post(f"{ORDERS}/preview", headers=h,
                         json=order_body(voucher_id=late.id, voucher_choice="soonest",
                                         duration_hours=30)).json()
    assert (chosen["voucher"]["voucher_id"], chosen["voucher"]["chosen_by"]) == (late.id,
                                                                                  "buyer")
    none = client.post(f"{ORDERS}/preview", headers=h, json=order_body()).json()
    assert none["voucher"] is None and none["candidates"][0]["subsidy_rate"] == "0.00"
    placed = client.post(ORDERS, headers=h,
                         json=order_body(voucher_choice="soonest", duration_hours=30))
    assert placed.status_code == 201 and placed.json()["voucher_id"] == soon.id
    local = to_shanghai(soon.valid_until - timedelta(days=0)).strftime("%Y-%m-%d")
    page = client.post("/market/orders/new", headers=h, data={
        "accelerators": "h20", "gpus": "8", "duration_hours": "30",
        "earliest_start": order_body()["earliest_start"][:16],
        "latest_end": order_body()["latest_end"][:16], "limit_cny_per_gpu_hour": "12.00",
        "voucher_choice": "soonest", "voucher_id": "", "action": "preview"})
    assert page.status_code == 200, page.text
    assert f'data-voucher="{soon.id}" data-chosen-by="soonest"' in page.text
    assert local in page.text and f"#{late.id}" in page.text
    assert verify(db).ok
