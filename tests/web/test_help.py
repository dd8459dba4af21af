"""The help page explains every glossary term in both languages; fields link to it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from suanli.auth.roles import Role
from suanli.web.help import TERMS
from suanli.web.i18n import catalogue
from tests.conftest import login


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_glossary_explains_every_term(client: TestClient, member: Callable[..., Any],
                                          lang: str) -> None:
    login(client, member(Role.BUYER).user.username)
    client.cookies.set("suanli_lang", lang)
    page = client.get("/help")
    assert page.status_code == 200
    anchors = re.findall(r'<dt id="([a-z0-9-]+)">', page.text)
    assert anchors == [a for a, _ in TERMS]
    for wanted in ("voucher", "hold", "round", "shadow-price", "3a090", "tpp", "pue"):
        assert wanted in anchors
    for _, key in TERMS:
        assert str(escape(catalogue(lang)[f"help.def.{key}"])) in page.text
    if lang == "zh":
        assert "影子价格" in page.text and "算力券" in page.text


def test_the_help_page_needs_a_login(client: TestClient) -> None:
    assert client.get("/help", follow_redirects=False).status_code in (303, 401)


def test_the_home_page_links_to_help(client: TestClient, member: Callable[..., Any]) -> None:
    login(client, member(Role.PROVIDER).user.username)
    page = client.get("/").text
    assert 'href="/help"' in page and 'href="/help#3a090"' in page


@pytest.mark.parametrize(("role", "path", "anchors"), [
    (Role.PROVIDER, "/providers/data-centres", {"pue"}),
    (Role.PROVIDER, "/providers/clusters", {"3a090"}),
    (Role.BUYER, "/catalog/accelerators", {"3a090", "tpp"}),
    (Role.BUYER, "/catalog/hubs", {"pue"}),
    (Role.PLATFORM_ADMIN, "/market/rounds", {"round", "shadow-price"}),
    (Role.BUYER, "/market/orders/new", {"voucher", "hold"}),
])
def test_fields_link_their_terms_to_the_glossary(
        client: TestClient, member: Callable[..., Any], reference_data: None, role: Role,
        path: str, anchors: set[str]) -> None:
    login(client, member(role).user.username)
    page = client.get(path)
    assert page.status_code == 200, path
    linked = set(re.findall(r'data-help="([a-z0-9-]+)"', page.text))
    assert anchors <= linked <= {a for a, _ in TERMS}
