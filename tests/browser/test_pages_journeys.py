"""Issue 17's pages in a real browser, in English and in Chinese: the buyer's dashboard
to a contract's page (its delivery chart drawn large enough to read) and the glossary; the
provider's dashboard, an agent token and a usage upload with its per-row report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import follow, login_as

WORDS = {
    "en": {"buyer": "My startup at a glance", "provider": "My clusters at a glance",
           "delivery": "Delivered GPU-hours per day", "glossary": "Help and glossary",
           "report": "Import report", "once": "shown once"},
    "zh": {"buyer": "我的企业概览", "provider": "我的集群概览", "delivery": "每日交付GPU时",
           "glossary": "帮助与术语表", "report": "导入报告", "once": "仅显示一次"},
}


def _speak(page: Any, lang: str) -> None:
    page.goto(f"/lang/{lang}?next=/")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_buyer_goes_from_its_dashboard_to_a_contract_and_the_glossary(
        page: Any, lang: str) -> None:
    words = WORDS[lang]
    login_as(page, "buyer")
    _speak(page, lang)
    panel = page.locator("[data-testid=dash-buyer]")
    expect(panel).to_contain_text(words["buyer"])
    contracts = page.locator("[data-testid=mine-contracts] a[href^='/market/contracts/']")
    if contracts.count() == 0:  # nothing live in the demo now: the list links them all
        follow(page, page.locator("a[href='/market/contracts']").first)
        contracts = page.locator("a[href^='/market/contracts/']")
    follow(page, contracts.first)
    expect(page.locator("[data-testid=contract-delivery]")).to_contain_text(words["delivery"])
    chart = page.locator("[data-testid=delivery-chart]")
    box = chart.bounding_box()
    assert box is not None and box["width"] >= 400, box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    expect(page.locator("[data-testid=contract-holds] tbody tr").first).to_be_visible()
    follow(page, page.locator("a.help-link[href='/help#hold']"))
    expect(page.locator("h1")).to_have_text(words["glossary"])
    expect(page.locator("dt#hold")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_provider_makes_an_agent_token_and_uploads_usage(page: Any, lang: str) -> None:
    words = WORDS[lang]
    login_as(page, "provider")
    _speak(page, lang)
    expect(page.locator("[data-testid=dash-provider]")).to_contain_text(words["provider"])
    follow(page, page.locator("[data-testid=mine-clusters] a[href^='/providers/clusters/']")
           .first)
    follow(page, page.locator("[data-testid=agent-link]"))
    follow(page, page.locator("[data-testid=make-agent-token]"))
    expect(page.locator("body")).to_contain_text(words["once"])
    expect(page.locator("[data-testid=agent-token]")).not_to_be_empty()
    page.goto("/providers/usage")
    page.locator("#f-format").select_option("json")
    bad = json.dumps({"contract_id": 1, "ref": "x", "gpus": "many",
                      "start": "2026-01-01T00:00:00+08:00", "end": "2026-01-01T01:00:00+08:00"})
    page.locator("#f-file").set_input_files(files=[{
        "name": "usage.jsonl", "mimeType": "application/x-ndjson",
        "buffer": (bad + "\n").encode()}])
    follow(page, page.locator("form[data-testid=usage-form] button[type=submit]"))
    report = page.locator("[data-testid=usage-report]")
    expect(report).to_contain_text(words["report"])
    expect(page.locator("[data-testid=usage-errors] tr[data-line='1']")).to_be_visible()
