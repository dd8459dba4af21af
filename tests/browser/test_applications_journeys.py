"""A startup applies (the rules answer live as it types), attaches evidence and gets its
voucher; a reviewer decides an application the rules could not."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def test_startup_sees_the_rules_live_applies_and_gets_a_voucher(page: Any,
                                                                tmp_path: Path) -> None:
    login_as(page, "founder")
    page.get_by_role("link", name=translate("en", "nav.applications")).first.click()
    page.locator("[data-testid=open-programs] li", has_text="Shanghai compute vouchers") \
        .locator("[data-apply]").click()
    form = page.locator("#application-form")
    form.locator("#f-registered_city").select_option("shanghai")
    form.locator("#f-credit_record").select_option("ok")
    form.locator("#f-annual_revenue_cny").fill("3200000.00")
    results = page.locator("#rule-results")
    results.get_by_text("Annual revenue 3.2 m CNY is below the required 5 m CNY").wait_for()
    assert page.locator("#rule-outcome").get_attribute("data-outcome") == "fail"
    form.locator("#f-annual_revenue_cny").fill("8000000.00")
    page.locator("#rule-outcome[data-outcome=pass]").wait_for()
    passed = results.locator("li[data-field=annual_revenue]")
    assert passed.inner_text().endswith("Annual revenue 8 m CNY meets the required minimum of "
                                        "5 m CNY")
    assert passed.get_attribute("data-effect") == "pass"
    form.locator("#save-application").click()
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    assert page.locator("[data-testid=application-status]").get_attribute("data-status") \
        == "draft"

    evidence = tmp_path / "revenue-2025.csv"
    evidence.write_text("year,revenue_cny\n2025,8000000.00\n", encoding="utf-8")
    page.locator("#f-file").set_input_files(str(evidence))
    page.locator("#upload-evidence").click()
    link = page.locator("[data-testid=evidence]").get_by_role("link", name="revenue-2025.csv")
    expect(link).to_be_visible()
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.body().startswith(b"year,revenue_cny")

    follow(page, page.locator("#submit-application"))
    status = page.locator("[data-testid=application-status]")
    assert status.get_attribute("data-status") == "voucher_issued"
    follow(page, page.locator("#voucher-link"))
    assert page.locator("[data-testid=available]").inner_text() == "1,000,000.00"


def test_reviewer_decides_an_application_the_rules_could_not(page: Any) -> None:
    login_as(page, "reviewer")
    follow(page, page.get_by_role("link", name=translate("en", "nav.review")).first)
    row = page.locator("[data-testid=queue] tr[data-organisation=deepseed-ai]")
    assert "Annual revenue is not given" in row.inner_text()
    follow(page, row.get_by_role("link").first)
    evidence = page.locator("[data-testid=evidence]").get_by_role("link")
    assert evidence.inner_text() == "research-project-letter.txt"
    form = page.locator("#decision-form")
    form.locator("#f-decision").select_option("approve")
    form.locator("#f-value_cny").fill("9000000.00")  # above the range: refused in place
    form.locator("#f-reason").fill("Project letter checked with the ministry.")
    form.locator("#decide").click()
    expect(page.locator("#e-value_cny")).to_be_visible()
    form = page.locator("#decision-form")
    form.locator("#f-value_cny").fill("1200000.00")
    form.locator("#f-reason").fill("Project letter checked with the ministry.")
    follow(page, form.locator("#decide"))
    status = page.locator("[data-testid=application-status]")
    assert status.get_attribute("data-status") == "voucher_issued"
    assert page.locator("[data-testid=decision-reason]").inner_text() == (
        "Project letter checked with the ministry.")
