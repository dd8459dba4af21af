"""A JSON document nested deeper than any parser should follow (a rules tree, any API body)
is a 422 naming the field, never a 500 from Python's recursion limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from tests.market.helpers import cheap_passwords  # noqa: F401 - a fixture
from tests.programs.factory import make_program

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
DEEP_RULES = '{"all": [' * 3000 + "]}" * 3000
DEEP_LIST = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("body", [DEEP_RULES, DEEP_LIST], ids=["rules", "list"])
def test_a_deep_body_is_refused_on_the_api(client: TestClient, member: Callable[..., Any],
                                           db: Session, body: str) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    headers = {**bureau.headers, "Content-Type": "application/json"}
    for method, path in [("PUT", f"/api/v1/programs/{program.id}/rules"),
                         ("POST", f"/api/v1/programs/{program.id}/rules/check"),
                         ("POST", "/api/v1/tokens")]:
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 422, (path, response.status_code, response.text[:300])
        assert response.json()["field"] == "body", response.text[:300]
    assert client.get(f"/api/v1/programs/{program.id}",
                      headers=bureau.headers).json()["rules"] == program.rules


def test_deep_rules_typed_on_the_page_are_refused(client: TestClient,
                                                  member: Callable[..., Any],
                                                  db: Session) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id)
    db.commit()
    for text in (DEEP_RULES, DEEP_LIST, '{"all": [' * 50 + "]}" * 50):
        page = client.post(f"/programs/{program.id}/rules", headers=bureau.headers,
                           data={"mode": "json", "rules_json": text}, follow_redirects=False)
        assert page.status_code == 422, page.text[:300]
        assert "nested" in page.text
