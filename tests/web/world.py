"""The demo world (built by the platform's own demo steps) served by a TestClient, and a
small HTML reader for links and forms: what the crawler and the form fuzzer walk."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import drop_database, new_database_url

ORIGIN = "http://testserver"


def build_world(tmp: Path) -> Iterator[FastAPI]:
    """A fresh database holding the whole demo world, and the app on it."""
    from suanli import migrate
    from suanli.app import create_app
    from suanli.config import get_settings
    from suanli.demo import build
    from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work

    with pytest.MonkeyPatch.context() as patch:
        # Documents the demo stores (and the pages serve) go to a scratch folder.
        patch.setenv("SUANLI_DATA_DIR", str(tmp / "data"))
        get_settings.cache_clear()
        url = new_database_url(tmp)
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        for _label, step in build.STEPS:
            with unit_of_work(factory) as session:
                step(session)
        yield create_app(sessions=factory)
        engine.dispose()
        drop_database(url)
    get_settings.cache_clear()


def logged_in(app: FastAPI, username: str) -> TestClient:
    """A TestClient logged in through the login form as a demo user."""
    from suanli.demo.build import DEMO_PASSWORD

    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", follow_redirects=False, data={
        "username": username, "password": DEMO_PASSWORD,
        "csrf_token": client.cookies.get("suanli_csrf"), "next": "/"})
    assert response.status_code == 303, response.text
    return client


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    text_fields: list[str] = field(default_factory=list)


class PageReader(HTMLParser):
    """Links (href and src) and forms, with each field's default value."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.links += [a[k] for k in ("href", "src") if a.get(k)]
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and a.get("name"):
            self._field(tag, a)

    def _field(self, tag: str, a: dict[str, str]) -> None:
        form, name = self.forms[-1], a["name"]
        kind = a.get("type", "text")
        if tag == "input" and kind in ("checkbox", "radio"):
            # A required box and a confirmation are ticked, as the person filling it would.
            if "checked" in a or "required" in a or a.get("name") == "confirm":
                form.fields[name] = a.get("value", "on")
        elif tag == "input" and kind not in ("submit", "button", "file"):
            form.fields.setdefault(name, a.get("value", ""))
            if kind not in ("hidden",):
                form.text_fields.append(name)
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            if self._select not in form.fields or "selected" in a:
                form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""
            form.text_fields.append(name)

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def same_site(base: str, link: str) -> str | None:
    """The path and query of a link on this site, or None for another site's."""
    parts = urlsplit(urljoin(ORIGIN + base, link))
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Links that change what the crawl sees rather than show a page.
SKIP = ("/logout",)
# Pages that differ only in the ids they show are one page to the crawler after a few.
PER_SHAPE = 3


def shape(url: str) -> str:
    """A URL with each path segment holding a digit (an id, a model such as a100-sxm-40g)
    and each number in the query written N."""
    path, _, query = url.partition("?")
    return re.sub(r"/[^/]*\d[^/]*", "/N", path) + "?" + re.sub(r"\d+", "N", query)


def crawl(client: TestClient) -> tuple[set[str], list[str], list[tuple[str, Form]]]:
    """Every page reachable from the home page, each broken link with where it was, and
    every form met (with the page it is on)."""
    seen: set[str] = set()
    broken: list[str] = []
    forms: list[tuple[str, Form]] = []
    todo: list[tuple[str, str]] = [("/", "(start)")]
    shapes: Counter[str] = Counter()
    while todo:
        url, origin = todo.pop()
        if url in seen or url.startswith(SKIP) or shapes[shape(url)] >= PER_SHAPE:
            continue
        seen.add(url)
        shapes[shape(url)] += 1
        response = client.get(url, follow_redirects=False)
        if response.status_code >= 400:
            broken.append(f"{response.status_code} {url} (linked from {origin})")
        elif response.is_redirect:
            target = same_site(url, response.headers["location"])
            if target is not None:
                todo.append((target, url))
        elif response.headers.get("content-type", "").startswith("text/html"):
            reader = PageReader()
            reader.feed(response.text)
            forms += [(url, form) for form in reader.forms]
            for link in reader.links:
                target = same_site(url, link)
                if target is not None:
                    todo.append((target, url))
    return seen, broken, forms
