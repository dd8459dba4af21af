"""A startup opens its voucher wallet, reads a voucher's terms, in English and Chinese."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def test_startup_reads_its_wallet_in_both_languages(page: Any) -> None:
    login_as(page, "buyer")
    follow(page, page.get_by_role("link", name=translate("en", "nav.wallet")).first)
    card = page.locator("[data-testid=voucher]").first
    assert card.locator("[data-testid=voucher-status]").inner_text() == "active"
    assert re.fullmatch(r"\d[\d,]*\.\d\d", card.locator("[data-testid=available]").inner_text())
    assert "Shanghai compute vouchers" in card.inner_text()
    card.get_by_role("link").first.click()
    page.wait_for_url("**/vouchers/*")
    expect(page.get_by_text(translate("en", "vouchers.terms"))).to_be_visible()
    assert "30 %" in page.locator("main").inner_text()
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.locator("[data-testid=voucher-status]").inner_text() == translate(
        "zh", "vouchers.status.active")
    expect(page.get_by_text(translate("zh", "vouchers.terms"))).to_be_visible()
    page.locator("#lang-switch").click()
