"""Market data: the volume-weighted daily index, shadow prices, depth, the public page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from suanli.market.shadow import by_model
from suanli.market.snapshots import Built
from suanli.web.charts import line_chart
from suanli.web.charts import paired_bar_chart as bar_chart
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    listable_cluster,
    order_body,
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")


def test_the_index_is_weighted_by_gpu_hours_and_public(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    cheap = post_offer(client, m.provider.headers, m.cluster["id"], gpus=16)
    other = listable_cluster(client, m.provider.headers, name="c2", dc=None)
    dear = post_offer(client, m.provider.headers, other["id"], gpus=16,
                      ask_cny_per_gpu_hour="13.00")
    for offer, gpus, hours in ((cheap, 8, 10), (dear, 4, 5)):
        response = client.post("/api/v1/market/instant-buys", headers=m.buyer.headers,
                               json={"offer_id": offer["id"], "gpus": gpus, "hours": hours})
        assert response.status_code == 201, response.text
    index = client.get("/api/v1/market/index").json()
    (point,) = index["points"]
    # (80 GPU-h x 10.00 + 20 GPU-h x 13.00) / 100 GPU-h
    assert (point["accelerator"], point["price_cny_per_gpu_hour"], point["gpu_hours"],
            point["contracts"]) == ("h20", "10.60", 100, 2)
    page = client.get("/market")
    assert page.status_code == 200
    assert 'data-testid="index-chart"' in page.text and "10.60" in page.text
    assert "<script" not in page.text


def test_depth_compares_wanted_and_free_gpus(client: TestClient,
                                             member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"], gpus=16)
    client.post("/api/v1/market/orders", json=order_body(gpus=6, accelerators=["h20", "l20"]),
                headers=m.buyer.headers)
    rows = client.get("/api/v1/market/depth", params={"days": 7}).json()["rows"]
    h20 = [r for r in rows if r["accelerator"] == "h20"]
    assert h20 and max(r["demand_gpus"] for r in h20) == 6
    assert max(r["supply_gpus"] for r in h20) == 16
    assert {r["accelerator"] for r in rows} == {"h20", "l20"}
    bad = client.get("/api/v1/market/depth", params={"days": 0})
    assert (bad.status_code, bad.json()["field"]) == (422, "days")
    assert 'data-testid="depth-chart"' in client.get("/market").text


def test_shadow_prices_fold_to_the_highest_per_model() -> None:
    built = Built(snapshot={})
    raw = {"h20": "3.5", "h20~min24": [1, 4.256, None], "ascend-910b": {"0": 2}, "x": "n/a"}
    assert by_model(raw, built) == {"ascend-910b": "2.00", "h20": "4.26"}


def test_charts_escape_their_labels() -> None:
    svg = line_chart({"<b>": {"12-01": 3.0}}, ["12-01"], title="t&t", unit="CNY")
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "t&amp;t" in svg
    assert "<polyline" in svg
    bars = bar_chart([("12-01", 3, 5)], title="d", unit="GPUs", legend=("a", "b"))
    assert bars.count('class="bar') == 4


def test_the_market_page_works_for_everyone(client: TestClient,
                                            member: Callable[..., Any]) -> None:
    assert client.get("/market").status_code == 200
    buyer = member(Role.BUYER)
    assert client.get("/market", headers=buyer.headers).status_code == 200
