"""The week's settlement in the browser: the bureau decides claims with their evidence,
the startup reads and downloads its invoice, the bureau reads its program report."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def test_bureau_decides_claims(page: Any) -> None:
    login_as(page, "bureau")
    follow(page, page.get_by_role("link", name=translate("en", "nav.claims")).first)
    follow(page, page.get_by_role("link", name=translate("en", "claims.status.submitted")))
    queue = page.locator("[data-testid=claims]")
    assert queue.locator("tbody tr").count() >= 2
    queue.locator("tbody tr a").first.click()
    expect(page.get_by_role("heading", name=translate("en", "claims.evidence"))).to_be_visible()
    assert "INV-" in page.locator("main").inner_text()
    # A rejection needs a reason (the form says so in place) and the ticked confirmation.
    page.locator("[data-testid=decide] #f-confirm").check()
    page.locator("[data-testid=reject]").click()
    expect(page.locator("#e-reason")).to_be_visible()
    page.locator("#f-reason").fill("The invoice does not match the contract's GPU count.")
    page.locator("[data-testid=decide] #f-confirm").check()
    page.locator("[data-testid=reject]").click()
    expect(page.locator("[data-testid=claim-done]")).to_be_visible()
    assert page.locator("[data-testid=claim-status]").inner_text() == translate(
        "en", "claims.status.rejected")
    # The next one is approved and paid out.
    page.goto("/claims?status=submitted")
    follow(page, page.locator("[data-testid=claims] tbody tr a").first)
    follow(page, page.locator("[data-testid=approve]"))
    assert page.locator("[data-testid=claim-status]").inner_text() == translate(
        "en", "claims.status.approved")
    assert page.locator("[data-testid=decide]").count() == 0


def test_startup_downloads_its_invoice(page: Any) -> None:
    login_as(page, "buyer")
    follow(page, page.get_by_role("link", name=translate("en", "nav.invoices")).first)
    rows = page.locator("[data-testid=invoices] tbody tr")
    assert rows.count() >= 7
    rows.first.locator("a").first.click()
    with page.expect_download() as caught:
        page.locator("[data-testid=download-csv]").click()
    text = Path(caught.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:2] == ["contract", "provider"] and table[-1][0] == "total"


def test_bureau_reads_its_report(page: Any) -> None:
    login_as(page, "bureau")
    follow(page, page.get_by_role("link", name=translate("en", "nav.reports")).first)
    assert page.locator("svg.chart").count() >= 4
    assert float(page.locator("[data-testid=gpu-hours]").inner_text().replace(",", "")) > 0
    page.locator("main table a").first.click()
    expect(page.locator("svg#money")).to_be_visible()
