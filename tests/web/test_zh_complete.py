"""Chinese is complete: every page each demo role can reach, rendered in zh-CN, holds no
English UI words.

The small demo world is built through the real services; each role logs in and follows
every same-site link from its home page. Each page is rendered in both languages: a text
node (or a title, placeholder, aria-label) of the Chinese page that also appears on the
English page and consists only of words the English catalogues use is an untranslated
label. User content (an organisation's English name, a username) passes because it holds
words no catalogue uses, or because the world's own names are listed as content.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from suanli.web.i18n import CATALOGUES, LANG_COOKIE, catalogue
from tests.conftest import drop_database, login, new_migrated_database

SKIP_TAGS = {"script", "style", "code", "pre", "svg"}
ATTRS = ("title", "placeholder", "aria-label", "alt")
# Names that read the same in both languages (codes, brands, formats, units of the trade).
SAME = {"gpu", "gpus", "api", "csv", "json", "pue", "tpp", "pd", "bf", "int", "tflops", "tops",
        "kwh", "mm", "ms", "id", "url", "suanli", "english", "sacct", "prometheus", "sla",
        "nvidia", "cuda", "ai", "hbm", "gb"}
# Names of file formats, as their own documentation spells them.
FORMATS = {"JSON Lines", "Slurm sacct"}
# Export-control classes (3A090.a, not-3A090) are codes, as on the regulation's own page.
CODES = re.compile(r"\b(?:not-)?3A090(?:\.[ab](?:\.\d)?)?")
PER_PATTERN = 2  # pages of one shape (ids aside) visited per role
RUN = 3  # this many UI words in a row are an English phrase, whatever surrounds them


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.nodes: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in SKIP_TAGS:
            self.skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in ATTRS:
            if values.get(name):
                self.nodes.append(str(values[name]).strip())
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.nodes.append(str(values["value"]).strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.nodes.append(" ".join(data.split()))


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _ui_words() -> set[str]:
    words: set[str] = set()
    for path in CATALOGUES.glob("*.en.json"):
        for value in json.loads(path.read_text(encoding="utf-8")).values():
            words |= {w.lower() for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", value))}
    return words - SAME


UI_WORDS = _ui_words()


def english_ui(zh: list[str], en: list[str], content: set[str]) -> list[str]:
    """The Chinese page's texts that are the English page's too and read as UI English.

    `content` holds what users and the catalogue named (organisations, programs, chips):
    a text equal to one passes, and longer ones are taken out of a text before its words
    are read.
    """
    same = set(en)
    names = sorted((c for c in content if len(c) >= 6), key=len, reverse=True)
    found = []
    for text in zh:
        if text not in same or text in content:
            continue
        rest = text
        for name in names:
            rest = rest.replace(name, " ")
        words = [w.lower() for w in re.findall(r"[A-Za-z]{2,}", CODES.sub(" ", rest))]
        ui = [w in UI_WORDS for w in words]
        if (words and all(u or w in SAME for u, w in zip(ui, words, strict=True)) and any(ui)) \
                or _run(ui) >= RUN:
            found.append(text)
    return found


def _run(flags: list[bool]) -> int:
    """The longest run of consecutive UI words: an English phrase inside other text."""
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def _followable(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(("/api/", "/lang/", "/static/", "/docs", "/openapi", "/logout",
                              "/metrics", "/healthz")):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _get(client: TestClient, url: str, lang: str) -> str | None:
    client.cookies.set(LANG_COOKIE, lang)
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
        return None
    return response.text


def crawl(client: TestClient, content: set[str]) -> tuple[dict[str, list[str]], int]:
    """Every reachable page's untranslated texts, by URL, and how many pages were read."""
    queue, seen, shapes = ["/"], {"/"}, {}
    problems: dict[str, list[str]] = {}
    read = 0
    while queue:
        url = queue.pop(0)
        zh = _get(client, url, "zh")
        en = _get(client, url, "en") if zh is not None else None
        if zh is None or en is None:
            continue
        read += 1
        page = parse(zh)
        found = english_ui(page.nodes, parse(en).nodes, content)
        if found:
            problems[url] = sorted(set(found))
        for href in page.links:
            target = _followable(href)
            if target is None or target in seen:
                continue
            seen.add(target)
            shape = _shape(target)
            if shapes.get(shape, 0) < PER_PATTERN:
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(target)
    return problems, read


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small demo world, built once for this module."""
    from suanli.config import get_settings
    from suanli.demo import build
    from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work

    before = os.environ.get("SUANLI_DATA_DIR")
    os.environ["SUANLI_DATA_DIR"] = str(tmp_path_factory.mktemp("zh-data"))
    get_settings.cache_clear()
    url = new_migrated_database(tmp_path_factory.mktemp("zh"))
    engine = make_engine(url)
    for _label, step in build.STEPS:
        with unit_of_work(make_sessionmaker(engine)) as session:
            step(session)
    engine.dispose()
    yield url
    drop_database(url)
    if before is None:
        os.environ.pop("SUANLI_DATA_DIR", None)
    else:
        os.environ["SUANLI_DATA_DIR"] = before
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def content(world: str) -> set[str]:
    """What the world's users and the catalogue named: people, organisations, programs, chips,
    hubs (their names in English; none of them a UI word the catalogues translate)."""
    from sqlalchemy import text

    from suanli.kit.db import make_engine

    engine = make_engine(world)
    names: set[str] = set()
    with engine.connect() as conn:
        for sql in ("SELECT username FROM users", "SELECT display_name FROM users",
                    "SELECT slug FROM organisations", "SELECT name FROM organisations",
                    "SELECT name FROM programs", "SELECT model FROM accelerators",
                    "SELECT name FROM accelerators", "SELECT name FROM accelerator_names",
                    "SELECT name FROM hubs", "SELECT name FROM data_centres",
                    "SELECT name FROM clusters", "SELECT filename FROM documents"):
            names |= {str(v) for v in conn.execute(text(sql)).scalars() if v}
    engine.dispose()
    return names | FORMATS


@pytest.fixture(scope="module")
def world_client(world: str) -> Iterator[TestClient]:
    from suanli.app import create_app
    from suanli.kit.db import make_engine, make_sessionmaker

    engine = make_engine(world)
    with TestClient(create_app(sessions=make_sessionmaker(engine))) as client:
        yield client
    engine.dispose()


def _one_user_per_role() -> list[str]:
    from suanli.demo.build import USERS

    firsts: dict[str, str] = {}
    for username, _display, _org, role in USERS:
        firsts.setdefault(str(role), username)
    return list(firsts.values())


@pytest.mark.parametrize("username", _one_user_per_role())
def test_every_page_of_every_role_is_chinese(world_client: TestClient, content: set[str],
                                             username: str) -> None:
    from suanli.demo.build import DEMO_PASSWORD

    world_client.cookies.clear()
    login(world_client, username, DEMO_PASSWORD)
    problems, read = crawl(world_client, content)
    assert read >= 8, f"{username} reached only {read} pages"  # logged in, links followed
    assert problems == {}, "\n".join(f"{url}: {found}" for url, found in problems.items())


def test_an_untranslated_label_is_found(world_client: TestClient, content: set[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a key missing from Chinese falls back to English and is caught."""
    from suanli.demo.build import DEMO_PASSWORD

    world_client.cookies.clear()
    login(world_client, "buyer", DEMO_PASSWORD)
    monkeypatch.delitem(catalogue("zh"), "nav.market")
    zh, en = _get(world_client, "/", "zh"), _get(world_client, "/", "en")
    assert zh is not None and en is not None
    assert catalogue("en")["nav.market"] in english_ui(parse(zh).nodes, parse(en).nodes, content)


def test_the_language_switch_keeps_the_query_string(world_client: TestClient) -> None:
    from suanli.demo.build import DEMO_PASSWORD

    world_client.cookies.clear()
    login(world_client, "bureau", DEMO_PASSWORD)
    world_client.cookies.set(LANG_COOKIE, "en")
    page = parse(world_client.get("/applications?status=needs_review&page=1").text)
    switch = next(link for link in page.links if link.startswith("/lang/zh"))
    response = world_client.get(switch, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/applications?status=needs_review&page=1"




@pytest.mark.parametrize("domain", sorted(p.name.split(".")[0]
                                          for p in CATALOGUES.glob("*.en.json")))
def test_each_catalogue_has_both_languages(domain: str) -> None:
    en = json.loads((CATALOGUES / f"{domain}.en.json").read_text(encoding="utf-8"))
    zh = json.loads((CATALOGUES / f"{domain}.zh.json").read_text(encoding="utf-8"))
    assert sorted(set(en) ^ set(zh)) == []
    # Same placeholders, or a page would raise KeyError (or drop a value) in one language.
    fields = re.compile(r"\{(\w+)\}")
    assert [k for k in en if set(fields.findall(en[k])) != set(fields.findall(zh[k]))] == []


def test_ledger_accounts_are_named_by_their_owners(world_client: TestClient) -> None:
    """Names, not codes: "Treasury of sh-eitc" reads as the commission's name, per language."""
    from suanli.demo.build import DEMO_PASSWORD

    world_client.cookies.clear()
    login(world_client, "admin", DEMO_PASSWORD)
    pages = {lang: "".join(_get(world_client, f"/ledger?offset={n}", lang) or ""
                           for n in range(0, 500, 50)) for lang in ("zh", "en")}
    assert "上海市经济和信息化委员会 财政资金" in pages["zh"]
    assert "Treasury of Shanghai Economy and Informatisation Commission" in pages["en"]
    assert "Treasury of sh-eitc" not in pages["en"]
