"""The rule editor in both languages: a nested group is added and filled in with pickers,
turned around with "not", and the live preview (the page's script, JSON from the server)
follows every change against the sample applicant; nothing is saved. axe-core finds no
serious or critical violation on the editor."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from suanli.web.i18n import translate
from tests.browser.conftest import follow, login_as
from tests.browser.test_accessibility import _violations

BEIJING = {"en": "Beijing", "zh": "北京"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_nested_group_is_edited_and_previewed_live(page: Any, lang: str) -> None:
    login_as(page, "bureau")
    page.goto(f"/lang/{lang}?next=/")
    program = page.locator("[data-testid=dash-program]").first.get_attribute("data-program")
    page.goto(f"/programs/{program}/rules")
    parts = page.locator("#n > ul.rule-parts > li").count()
    follow(page, page.locator("#n-add-group"))
    group, first = f"n-{parts}", f"n-{parts}-0"
    expect(page.locator(f"#{group}")).to_be_visible()
    with page.expect_navigation():  # the fact chosen, the server draws its picker
        page.locator(f"#{first}-field").select_option("registered_city")
    picker = page.locator(f"#{first}-value")
    assert picker.evaluate("e => e.tagName") == "SELECT"
    assert BEIJING[lang] in picker.locator("option").all_inner_texts()
    picker.select_option("beijing")
    page.locator(f"#{group}-not").check()  # not (any of: registered city = Beijing)
    line = page.locator("#preview-checks li", has_text=BEIJING[lang])
    expect(line).to_have_attribute("data-effect", "pass")
    said = line.inner_text()
    assert ("required" not in said) if lang == "en" else ("要求" not in said), said
    outcome = page.locator("#preview-outcome")
    if outcome.get_attribute("data-outcome") == "pass":  # "Eligible", never "every rule"
        assert outcome.inner_text() == translate(lang, "applications.outcome.pass")
    page.locator("#s-annual_revenue").fill("lots")
    expect(outcome).to_have_attribute("data-outcome", "invalid")
    page.locator("#s-annual_revenue").fill("3000000.00")
    expect(outcome).not_to_have_attribute("data-outcome", "invalid")
    # the same through the server, as without JavaScript: the group is still there
    follow(page, page.locator("#preview-rules"))
    assert page.locator(f"#{group}-not").is_checked()
    assert page.locator(f"#{first}-value").input_value() == "beijing"
    assert page.locator("#rules-saved").count() == 0
    assert _violations(page) == []  # nested fieldsets, pickers and buttons all named
