"""Every state change made through a page answers: the next page shows a flash message,
once, in the reader's language; every page form route has its own message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.web.flash import QUIET, route_key
from suanli.web.i18n import catalogue
from tests.conftest import login
from tests.market.helpers import cheap_passwords  # noqa: F401 - a fixture
from tests.programs.factory import make_program
from tests.web.routes import api_routes

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")


def test_every_page_form_has_a_message_in_both_languages(app: FastAPI) -> None:
    missing = []
    for path, route in api_routes(app):
        if "POST" not in route.methods or path.startswith(QUIET):
            continue
        key = f"flash.{route_key(path)}"
        missing += [f"{lang}: {key} ({path})" for lang in ("en", "zh")
                    if key not in catalogue(lang)]
    assert not missing, "\n".join(missing)


def test_a_budget_change_is_confirmed_on_the_next_page_once(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    login(client, bureau.user.username)
    page = client.get(f"/programs/{program.id}")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(f"/programs/{program.id}/funding", follow_redirects=True,
                       data={"amount_cny": "100.00", "reason": "top-up", "csrf_token": token})
    assert done.status_code == 200, done.text[:300]
    assert 'data-testid="flash"' in done.text and "Budget changed." in done.text
    again = client.get(str(done.url))
    assert 'data-testid="flash"' not in again.text
    client.cookies.set("suanli_lang", "zh")
    zh = client.post(f"/programs/{program.id}/funding", follow_redirects=True, data={
        "amount_cny": "1.00", "reason": "top-up", "csrf_token": token})
    assert "预算已调整。" in zh.text


def test_a_refused_form_shows_no_flash(client: TestClient, member: Callable[..., Any],
                                       db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    refused = client.post(f"/programs/{program.id}/funding", headers=bureau.headers,
                          data={"amount_cny": "1e30", "reason": "top-up"})
    assert refused.status_code == 422
    assert "suanli_flash" not in refused.headers.get("set-cookie", "")


def test_a_forged_flash_cookie_shows_nothing(client: TestClient,
                                             member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    client.cookies.set("suanli_flash", "flash.programs.funding")
    page = client.get("/", headers=buyer.headers)
    assert 'data-testid="flash"' not in page.text
