"""Each role's home page carries its dashboard and no other; a broken chain shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from tests.conftest import login

PANELS = {"dash-authority", "dash-market", "dash-compliance", "dash-buyer", "dash-provider"}
EXPECTED = {
    Role.PROGRAM_ADMIN: {"dash-authority"},
    Role.REVIEWER: {"dash-authority"},
    Role.PLATFORM_ADMIN: {"dash-market"},
    Role.AUDITOR: {"dash-compliance"},
    Role.BUYER: {"dash-buyer"},
    Role.PROVIDER: {"dash-provider"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_own_dashboard(role: Role, client: TestClient,
                                          member: Callable[..., Any]) -> None:
    user = member(role)
    login(client, user.user.username)
    page = client.get("/")
    assert page.status_code == 200
    shown = {p for p in PANELS if f'data-testid="{p}"' in page.text}
    assert shown == EXPECTED[role]


def test_empty_market_and_authority_dashboards_say_so(client: TestClient,
                                                      member: Callable[..., Any]) -> None:
    bureau = member(Role.PROGRAM_ADMIN)
    login(client, bureau.user.username)
    assert "Your authority runs no programs yet." in client.get("/").text
    client.cookies.clear()
    admin = member(Role.PLATFORM_ADMIN)
    login(client, admin.user.username)
    page = client.get("/").text
    assert 'data-testid="dash-contracts">0<' in page
    assert "No capacity listed in this window." in page


def _verify_now(client: TestClient, back: str = "/") -> Any:
    return client.post("/integrity/checks", data={
        "next": back, "csrf_token": client.cookies.get("suanli_csrf")}, follow_redirects=False)


def test_the_compliance_dashboard_shows_the_last_check_and_a_broken_audit_chain(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    auditor = member(Role.AUDITOR)
    member(Role.BUYER)  # more audit records
    login(client, auditor.user.username)
    page = client.get("/").text
    assert 'data-testid="dash-audit" data-ok="none"' in page  # nothing verified yet
    assert 'data-testid="verify-now"' in page
    done = _verify_now(client)
    assert (done.status_code, done.headers["location"]) == (303, "/")
    page = client.get("/").text
    assert 'data-testid="dash-audit" data-ok="true"' in page
    assert 'data-testid="dash-ledger" data-ok="true"' in page
    checked = db.execute(text("SELECT count(*) FROM audit_records")).scalar_one()
    assert f"{checked} records · <span data-testid=\"checked-at\">checked " in page
    assert f"by {auditor.user.display_name}" in page
    db.execute(text("UPDATE audit_records SET actor = 'mallory' "
                    "WHERE seq = (SELECT min(seq) FROM audit_records)"))
    db.commit()
    # A visit shows the stored result; it does not walk the chain again.
    assert 'data-testid="dash-audit" data-ok="true"' in client.get("/").text
    assert _verify_now(client, "https://elsewhere.example/").headers["location"] == "/"
    page = client.get("/").text
    assert 'data-testid="dash-audit" data-ok="false"' in page
    assert "DOES NOT VERIFY" in page and "record 1" in page
