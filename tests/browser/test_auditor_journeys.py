"""An auditor opens the compliance queue, sees why clusters wait, and approves one."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def _row(page: Any, cluster_name: str) -> Any:
    return page.locator("[data-testid=queue] tbody tr").filter(has_text=cluster_name)


def test_auditor_sees_why_clusters_wait_and_approves_one(page: Any) -> None:
    login_as(page, "auditor")
    page.get_by_role("link", name=translate("en", "nav.compliance")).first.click()
    page.wait_for_url("**/compliance")

    mismatch = _row(page, "GA-H20-02")
    assert mismatch.locator("[data-testid=status]").get_attribute("data-status") == "suspended"
    assert "attestation mismatch: claims h20, reports h100-sxm" in mismatch.locator(
        "[data-testid=reasons]").inner_text()

    waiting = _row(page, "QY-H800-01")
    assert waiting.locator("[data-testid=reasons] li").all_inner_texts() == [
        "3A090.a part (TPP 15,832 >= 4,800): 2 provenance document(s) uploaded",
        translate("en", "reason.awaiting_decision")]
    waiting.get_by_role("link", name=translate("en", "compliance.kind.provenance"),
                        exact=False).click()
    page.wait_for_url("**/compliance/cases/*")
    documents = page.locator("[data-testid=provenance-documents] li")
    assert documents.count() == 2
    assert "purchase-contract-2023-08.pdf" in documents.first.inner_text()

    form = page.locator("#decide")
    form.locator("#f-decision").select_option("approve")
    form.get_by_role("button").click()  # no reason given yet
    expect(page.locator("#decide [role=alert]")).to_be_visible()
    page.locator("#decide #f-decision").select_option("approve")
    page.locator("#decide #f-reason").fill("Purchase contract of 2023-08 predates the controls.")
    follow(page, page.locator("#decide").get_by_role("button"))
    assert page.locator("[data-testid=case-status]").inner_text() == translate(
        "en", "compliance.state.closed")
    assert page.locator("h2 [data-testid=status]").get_attribute("data-status") == "listable"

    page.goto("/compliance")
    assert _row(page, "QY-H800-01").count() == 0
