"""Validation messages on pages read in the page's language: the money grammar's and
Pydantic's own, not only the labels."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.web.i18n import LANG_COOKIE
from suanli.web.render import reason_text
from tests.programs.factory import make_program

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("message", [
    "Field required", "Input should be a valid integer, unable to parse string as an integer",
    "Input should be greater than or equal to 1", "String should have at most 200 characters",
    "Value error, at most 2 decimal places", "must not be negative",
    "Input should be 'sacct', 'prometheus' or 'json'",
])
def test_common_messages_are_translated(message: str) -> None:
    zh = reason_text("zh", message)
    assert HAN.search(zh), zh
    assert not HAN.search(reason_text("en", message))


def test_an_unknown_message_is_shown_as_it_is() -> None:
    assert reason_text("zh", "something no pattern knows") == "something no pattern knows"


@pytest.mark.usefixtures("reference_data")
def test_a_money_error_on_a_chinese_page_is_chinese(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    for lang, expected in (("zh", "最多两位小数"), ("en", "at most 2 decimal places")):
        client.cookies.set(LANG_COOKIE, lang)
        page = client.post(f"/programs/{program.id}/funding", headers=bureau.headers,
                           data={"amount_cny": "1.234", "reason": "top-up"},
                           follow_redirects=False)
        assert page.status_code == 422
        error = re.search(r'id="e-amount_cny"[^>]*>([^<]*)<', page.text)
        assert error is not None and expected in error.group(1), page.text[-2000:]


def test_a_422_page_says_its_message_in_chinese(client: TestClient,
                                                member: Callable[..., Any]) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    client.cookies.set(LANG_COOKIE, "zh")
    # A path id that is not an integer: FastAPI's own validation, shown as a page.
    page = client.get("/programs/not-a-number", headers={**bureau.headers, "Accept": "text/html"})
    assert page.status_code == 422
    assert "请输入整数" in page.text, page.text[-1500:]
