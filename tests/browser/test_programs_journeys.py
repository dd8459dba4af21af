"""A city bureau builds a program from a preset, edits its rules (a rule that can never pass
is refused in place), publishes it, and funds it from the budget dashboard."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def _figure(page: Any, selector: str) -> Decimal:
    return Decimal(page.locator(selector).inner_text().replace(",", ""))


def test_bureau_builds_a_program_with_rules_and_publishes_it(page: Any) -> None:
    name = f"Shanghai inference vouchers {uuid.uuid4().hex[:6]}"
    login_as(page, "bureau")
    page.get_by_role("link", name=translate("en", "nav.programs")).first.click()
    page.locator("#new-program").click()
    page.locator("#f-preset-choice").select_option("hangzhou")
    follow(page, page.locator("#use-preset"))
    form = page.locator("#program-form")
    assert form.locator("#f-rate_state").input_value() == "0.20"
    form.locator("#f-name").fill(name)
    form.locator("#f-city").select_option("shanghai")
    form.locator("#f-budget_cny").fill("not money")
    form.locator("#save-program").click()
    expect(page.locator("#e-budget_cny")).to_be_visible()
    page.locator("#program-form #f-budget_cny").fill("80000000.00")
    page.locator("#program-form #save-program").click()
    page.wait_for_url(re.compile(r"/programs/\d+$"))
    assert page.locator(".error").all_inner_texts() == []
    assert page.locator("[data-testid=program-name]").inner_text() == name
    assert page.locator("[data-testid=program-status]").inner_text() == "draft"

    page.locator("#edit-rules").click()
    while page.locator("#n-0-remove").count():  # start from no criteria
        follow(page, page.locator("#n-0-remove"))
    _criterion(page, "n-0", "registered_city", "eq", "shanghai")
    _criterion(page, "n-1", "annual_revenue", "ge", "5000000.00")
    _criterion(page, "n-2", "annual_revenue", "lt", "1000000.00")
    follow(page, page.locator("#save-rules"))
    assert "rules.all[2].value" in page.locator("#rules-error").inner_text()
    assert "can never pass" in page.locator("#n-2-error").inner_text()
    follow(page, page.locator("#n-2-remove"))  # drop the contradicting criterion
    follow(page, page.locator("#save-rules"))
    expect(page.locator("#rules-saved")).to_be_visible()
    assert page.locator("[data-testid=rules-text]").inner_text() == (
        "registered city = Shanghai and annual revenue ≥ 5 m CNY")

    page.get_by_role("link", name=name).click()
    page.locator("#publish").click()
    expect(page.locator("[data-testid=program-status]")).to_have_text("published")


def _criterion(page: Any, path: str, field: str, op: str, value: str) -> None:
    """Add a criterion to the root group and fill it in; choosing the fact redraws the form
    (through the server) so that the value's picker fits it."""
    follow(page, page.locator("#n-add"))
    with page.expect_navigation():
        page.locator(f"#{path}-field").select_option(field)
    if page.locator(f"#{path}-op").input_value() != op:
        with page.expect_navigation():
            page.locator(f"#{path}-op").select_option(op)
    target = page.locator(f"#{path}-value")
    if target.evaluate("e => e.tagName") == "SELECT":
        target.select_option(value)
    else:
        target.fill(value)


def test_bureau_tops_up_a_budget_and_sees_it_on_the_dashboard(page: Any) -> None:
    login_as(page, "bureau")
    page.goto("/programs/budget")
    chart = page.locator("[data-testid=budget-chart]")
    expect(chart).to_be_visible()
    assert chart.locator("[data-segment=unissued]").count() >= 1
    row = page.locator("[data-testid=budget-table] tbody tr").first
    follow(page, row.get_by_role("link"))
    before = _figure(page, "[data-testid=unissued]")
    page.locator("#f-amount_cny").fill("1000000.00")
    page.locator("#f-reason").fill("second tranche")
    shown = page.locator("[data-testid=unissued]").inner_text()
    page.locator("#fund").click()
    # the form posts back to this page: wait for the new figure, not the old page's
    expect(page.locator("[data-testid=unissued]")).not_to_have_text(shown)
    assert _figure(page, "[data-testid=unissued]") == before + 1_000_000
