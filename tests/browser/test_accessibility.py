"""axe-core on every demo role's main pages (home, each page of its navigation and the first
detail page each list links to) in both languages: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from suanli.demo.build import USERS
from tests.browser.conftest import login_as

SEVERE = ("serious", "critical")


def _violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SEVERE:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


# One user per role: a second user of a role sees the same pages (and each page costs seconds).
ONE_PER_ROLE = list({role: name for name, _display, _org, role in reversed(USERS)}.values())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("username", ONE_PER_ROLE)
def test_main_pages_have_no_serious_violations(page: Any, username: str, lang: str) -> None:
    login_as(page, username)
    page.goto(f"/lang/{lang}?next=/")
    links = page.locator("header nav a").evaluate_all("els => els.map(e => e.pathname)")
    wrong = []
    seen: set[str] = set()
    for path in ["/", *dict.fromkeys(links)]:
        page.goto(path)
        wrong += [f"{path}: {v}" for v in _violations(page)]
        # and the first detail page the list links to (an order, a program, a claim ...)
        detail = page.locator("main table a[href^='/']:not([href^='/api/'])").first
        if detail.count() and (href := detail.get_attribute("href")) not in seen:
            seen.add(str(href))
            page.goto(str(href))
            wrong += [f"{href}: {v}" for v in _violations(page)]
    assert not wrong, "\n".join(wrong)


def test_the_check_finds_what_it_should(page: Any) -> None:
    """The harness itself: a page with a nameless button and an image without text fails."""
    page.set_content('<html><body><img src="x.png"><button></button></body></html>')
    found = " ".join(_violations(page))
    assert "button-name" in found and "image-alt" in found
