"""Logging in, switching to Chinese, and the home page of each role, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from suanli.demo.build import USERS
from suanli.web.i18n import translate
from tests.browser.conftest import login_as


def test_login_switch_to_chinese_and_see_translated_home(page: Any) -> None:
    login_as(page, "buyer")
    assert page.locator("h1").inner_text() == translate("en", "home.welcome",
                                                        name="Chen Jing 陈静")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.locator("h1").inner_text() == translate("zh", "home.welcome",
                                                        name="Chen Jing 陈静")
    assert translate("zh", "role.buyer") in page.locator("section[data-role=buyer] h2").inner_text()
    expect(page.get_by_role("button", name=translate("zh", "nav.logout"))).to_be_visible()
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize(("username", "role"), [(u, str(r)) for u, _, _, r in USERS])
def test_every_demo_role_can_log_in(page: Any, username: str, role: str) -> None:
    login_as(page, username)
    expect(page.locator(f"section[data-role={role}]")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def test_wrong_password_shows_the_error_in_the_form(page: Any) -> None:
    page.goto("/login")
    page.locator("#f-username").fill("buyer")
    page.locator("#f-password").fill("not the password")
    page.locator("form[action='/login'] button[type=submit]").click()
    assert page.get_by_role("alert").inner_text() == translate("en", "login.failed")
