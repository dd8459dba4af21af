"""The inbox in Chromium: the unread count in the top bar, reading one, reading all, in
English and Chinese; and choosing channels on the preferences page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as


def _unread(page: Any) -> int:
    badge = page.locator("[data-testid=unread-count]")
    return int(badge.inner_text()) if badge.count() else 0


def test_a_provider_reads_its_inbox_from_the_top_bar(page: Any) -> None:
    login_as(page, "provider")
    before = _unread(page)
    assert before > 1  # the demo's contracts, claims and compliance cases
    follow(page, page.locator("[data-testid=inbox-link]"))
    items = page.locator("[data-testid=notification][data-read=no]")
    assert items.count() == min(before, 30)
    kinds = page.locator("[data-testid=notification]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.kind)")
    assert "compliance.case_opened" in kinds and "claim.submitted" in kinds
    follow(page, items.first.locator("[data-testid=mark-read]"))
    assert _unread(page) == before - 1
    assert page.locator("[data-testid=notification][data-read=yes]").count() == 1
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text(translate("zh", "inbox.title"))
    titles = page.locator("[data-testid=notification] strong").all_inner_texts()
    assert any("合约" in t or "报销" in t or "合规" in t for t in titles), titles
    follow(page, page.locator("[data-testid=read-all]"))
    expect(page.locator("[data-testid=unread-count]")).to_have_count(0)
    assert page.locator("[data-testid=notification][data-read=no]").count() == 0
    page.goto("/")
    expect(page.locator("[data-testid=inbox-link]")).to_have_text(translate("zh", "nav.inbox"))
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_reviewer_chooses_a_daily_digest_and_channels(page: Any) -> None:
    login_as(page, "reviewer")
    page.goto("/notifications/preferences")
    expect(page.locator("h1")).to_have_text(translate("en", "prefs.title"))
    page.locator("#f-email").fill("li@localhost")  # the browser takes it; the server does not
    follow(page, page.locator("[data-testid=save-preferences]"))
    expect(page.locator("#e-email")).to_be_visible()
    page.locator("#f-email").fill("li.wei@sh-eitc.example.cn")
    page.locator("#f-digest").check()
    box = page.locator("input[name='application.needs_review:inbox']")
    box.uncheck()
    follow(page, page.locator("[data-testid=save-preferences]"))
    expect(page.locator("[data-testid=prefs-saved]")).to_be_visible()
    assert page.locator("#f-email").input_value() == "li.wei@sh-eitc.example.cn"
    assert page.locator("#f-digest").is_checked()
    assert not page.locator("input[name='application.needs_review:inbox']").is_checked()
    assert page.locator("input[name='application.needs_review:email']").is_checked()
