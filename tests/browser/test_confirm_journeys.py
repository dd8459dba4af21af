"""A buyer cancels an order through the confirmation page (the box must be ticked) and
reads the flash message, in Chinese; in English, backing out of a contract's cancellation
changes nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def test_cancel_an_order_with_confirmation_in_chinese(page: Any) -> None:
    login_as(page, "buyer")
    page.goto("/lang/zh?next=/market/orders")
    link = page.locator("[data-testid=cancel-order]").first
    follow(page, link)
    expect(page.get_by_role("heading", name=translate("zh", "confirm.title"))).to_be_visible()
    page.locator("#confirm-submit").click()  # unticked: the browser keeps the form here
    assert page.locator("#f-confirm:invalid").count() == 1
    page.locator("#f-confirm").check()
    follow(page, page.locator("#confirm-submit"))
    expect(page.locator("[data-testid=flash]")).to_have_text(
        translate("zh", "flash.market.orders.cancel"))
    page.reload()
    expect(page.locator("[data-testid=flash]")).to_have_count(0)


def test_backing_out_of_a_contract_cancellation_changes_nothing(page: Any) -> None:
    login_as(page, "buyer")
    page.goto("/lang/en?next=/market/contracts")
    link = page.locator("[data-testid=cancel-contract]").first
    row = link.locator("xpath=ancestor::tr").get_attribute("data-contract")
    follow(page, link)
    expect(page.locator("#confirm-form")).to_contain_text(f"#{row}")
    follow(page, page.get_by_role("link", name=translate("en", "confirm.no")))
    assert page.locator(f"tr[data-contract='{row}'] [data-testid=cancel-contract]").count() == 1
