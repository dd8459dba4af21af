"""The market in a browser: ordering with the preview, contracts as buyer and provider,
listing an offer, and the public market page with its charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.market.capacity import next_whole_hour
from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def _nav(page: Any, key: str) -> None:
    follow(page, page.get_by_role("link", name=translate("en", key)).first)


def test_a_buyer_orders_compute_after_the_preview(page: Any, live_server: str) -> None:
    login_as(page, "buyer")
    _nav(page, "nav.market_orders")
    expect(page.locator("[data-testid=cash]")).to_be_visible()
    page.locator("#new-order").click()
    form = page.locator("#order-form")
    form.locator("#f-accelerators").fill("h20")
    form.locator("#f-gpus").fill("4")
    form.locator("#f-duration_hours").fill("12")
    form.locator("#f-limit_cny_per_gpu_hour").fill("0.50")  # far too low
    page.locator("#preview").click()
    reasons = page.locator("[data-testid=preview-reasons]")
    expect(reasons).to_be_visible()
    assert reasons.locator("[data-reason=over_limit]").count() == 1
    page.locator("#order-form #f-limit_cny_per_gpu_hour").fill("12.00")
    page.locator("#preview").click()
    candidates = page.locator("[data-testid=preview-candidates]")
    expect(candidates).to_be_visible()
    assert candidates.locator("[data-testid=effective]").count() >= 1
    page.locator("#order-form #f-gpus").fill("0")  # a slip, shown in place
    page.locator("#place").click()
    expect(page.locator("#e-gpus")).to_be_visible()
    page.locator("#order-form #f-gpus").fill("4")
    page.locator("#place").click()
    page.wait_for_url("**/market/orders*")
    row = page.locator("[data-testid=orders] tbody tr").first
    assert "h20" in row.inner_text()
    assert row.locator("[data-state=open]").count() == 1


def test_a_buyer_sees_its_own_contracts(page: Any, live_server: str) -> None:
    login_as(page, "buyer")
    _nav(page, "nav.market_contracts")
    table = page.locator("[data-testid=buyer-contracts]")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr[data-contract]")
    assert rows.count() >= 2  # the round's and the instant buy
    buyers = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
    assert buyers == {"Acme AI (Shanghai) Co., Ltd."}  # by name, not slug
    assert table.get_by_text(translate("en", "market.source.instant")).count() >= 1


def test_a_provider_sees_its_contracts_and_lists_an_offer(page: Any, live_server: str) -> None:
    login_as(page, "provider")
    _nav(page, "nav.market_contracts")
    table = page.locator("[data-testid=provider-contracts]")
    assert table.locator("tbody tr[data-contract]").count() >= 1
    assert "Qingyang State Computing Centre" in table.inner_text()
    assert "qingyang-state-dc" not in table.inner_text()
    _nav(page, "nav.market_provider_offers")
    form = page.locator("#new-offer")
    option = form.locator("#f-cluster_id option", has_text="QY-H20-01")
    form.locator("#f-cluster_id").select_option(option.get_attribute("value"))
    start = to_shanghai(next_whole_hour(utcnow()) + timedelta(days=20))
    form.locator("#f-gpus").fill("32")
    form.locator("#f-start_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#f-end_at").fill((start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("#f-ask_cny_per_gpu_hour").fill("-7.50")  # a slip
    form.get_by_role("button").click()
    expect(page.locator("#e-ask_cny_per_gpu_hour")).to_be_visible()
    page.locator("#new-offer #f-ask_cny_per_gpu_hour").fill("7.50")
    page.locator("#new-offer").get_by_role("button").click()
    page.wait_for_url("**/market/provider/offers*")
    mine = page.locator("[data-testid=provider-offers]")
    assert mine.locator("tr", has_text="7.50").count() == 1


def test_the_public_market_page_shows_the_index_chart(page: Any, live_server: str) -> None:
    page.goto("/market")
    chart = page.locator("svg[data-testid=index-chart]")
    expect(chart).to_be_visible()
    assert chart.locator("polyline").count() >= 1
    expect(page.locator("svg[data-testid=depth-chart]")).to_be_visible()
    assert page.locator("[data-testid=index] tbody tr").count() >= 1
