"""Browser tests: a live server on the demo world, driven by Debian's Chromium.

Without Chromium these tests are skipped with a note on how to install it; under
CI=true a skip counts as a failure (tests/conftest.py).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM, drop_database, new_migrated_database

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding the whole demo world, built once for all browser tests."""
    from suanli.config import get_settings
    from suanli.demo import build
    from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work

    # Documents the demo stores (and the live server reads) go to a scratch folder, not ./var.
    os.environ["SUANLI_DATA_DIR"] = str(tmp_path_factory.mktemp("browser-data"))
    get_settings.cache_clear()
    url = new_migrated_database(tmp_path_factory.mktemp("browser"))
    factory = make_sessionmaker(make_engine(url))
    for _label, step in build.STEPS:
        with unit_of_work(factory) as session:
            step(session)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def live_server(demo_database: str) -> Iterator[str]:
    """The base URL of a real uvicorn server on the demo database."""
    import uvicorn

    from suanli.app import create_app
    from suanli.kit.db import make_engine, make_sessionmaker

    app = create_app(sessions=make_sessionmaker(make_engine(demo_database)))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` "
                    "(or set SUANLI_CHROMIUM) to run the browser tests")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="en-US",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield tab
    context.close()
    csp = [e for e in errors if "Content Security Policy" in e]
    assert not csp, csp


def login_as(page: Any, username: str, password: str | None = None) -> None:
    """Log in through the login form as a demo user."""
    from suanli.demo.build import DEMO_PASSWORD

    page.goto("/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(password or DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def follow(page: Any, target: Any) -> None:
    """Click a link or a submit button and wait until the page it leads to has loaded.

    A bare click returns before the navigation ends, so a one-shot read right after it
    (a count, an attribute the old page also has) can see the old page.
    """
    with page.expect_navigation():
        target.click()
