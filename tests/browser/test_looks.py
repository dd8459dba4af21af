"""Pages fit the window: every demo role's main pages (home, each page of its navigation
and the first detail page each list links to), at 1280x800 and on a 390x844 phone, in both
languages, never scroll sideways (a wide table scrolls inside its own box), and every table
cell holding a date and time keeps it on one line, and charts are drawn large enough to read
(a phone scrolls a chart inside its box rather than shrinking it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import login_as
from tests.browser.test_accessibility import ONE_PER_ROLE

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}

# What sticks out past the window, to say which element to fix when a page scrolls.
OVERFLOW = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= doc.clientWidth) return null;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.right > doc.clientWidth + 1 && getComputedStyle(e).position !== 'absolute';
  }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.className && typeof e.className === 'string' ? '.' + e.className : ''));
  return `scrollWidth ${doc.scrollWidth} > clientWidth ${doc.clientWidth}: ${wide}`;
}"""
# Cells whose text holds a date and time ("2026-12-05 06:00") but may wrap.
WRAPPING_DATES = """() => [...document.querySelectorAll('td')].filter(td =>
  /\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}/.test(td.textContent)
  && !['nowrap', 'pre'].includes(getComputedStyle(td).whiteSpace)
).slice(0, 3).map(td => td.textContent.trim().slice(0, 60))"""


@pytest.fixture
def sized(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(base_url=live_server, locale="en-US",
                                  timezone_id="Asia/Shanghai",
                                  viewport={"width": width, "height": height},
                                  is_mobile=request.param == "phone")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


# Charts drawn smaller than this (CSS pixels) have their 11-unit labels shrink below ~9 px.
SMALL_CHARTS = """() => [...document.querySelectorAll('svg.chart')].filter(
  s => s.getBoundingClientRect().width < 600).map(s => s.dataset.testid || s.id)"""


def _problems(page: Any, path: str) -> list[str]:
    found = [f"{path}: chart {name} drawn too small" for name in page.evaluate(SMALL_CHARTS)]
    overflow = page.evaluate(OVERFLOW)
    if overflow:
        found.append(f"{path}: {overflow}")
    found += [f"{path}: date wraps in {cell!r}" for cell in page.evaluate(WRAPPING_DATES)]
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("sized", list(VIEWPORTS), indirect=True)
@pytest.mark.parametrize("username", ONE_PER_ROLE)
def test_main_pages_fit_the_window(sized: Any, username: str, lang: str) -> None:
    page = sized
    login_as(page, username)
    page.goto(f"/lang/{lang}?next=/")
    links = page.locator("header nav a").evaluate_all("els => els.map(e => e.pathname)")
    wrong: list[str] = []
    seen: set[str] = set()
    for path in ["/", *dict.fromkeys(links)]:
        page.goto(path)
        wrong += _problems(page, path)
        detail = page.locator("main table a[href^='/']:not([href^='/api/'])").first
        if detail.count() and (href := str(detail.get_attribute("href"))) not in seen:
            seen.add(href)
            page.goto(href)
            wrong += _problems(page, href)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("sized", ["phone"], indirect=True)
def test_the_check_finds_a_page_that_scrolls_sideways(sized: Any) -> None:
    """The harness itself: a page wider than the phone, and a wrapping date, are found."""
    sized.set_content('<html><body><div style="width:2000px">wide</div><table><tr>'
                      '<td style="width:3em">2026-12-05 06:00</td></tr></table></body></html>')
    found = " ".join(_problems(sized, "test"))
    assert "scrollWidth" in found and "date wraps" in found
