"""Login attempts sent at once over HTTP: the throttle counts them atomically, per account
and per client address."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from suanli.auth.models import LoginAttempt
from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from tests.races.burst import MODES, Call, assert_only, burst, statuses
from tests.races.conftest import PASSWORD, Live

CSRF = "race-csrf-token"


def _attempt(username: str, password: str) -> Call:
    return Call("POST", "/login", {"Cookie": f"suanli_csrf={CSRF}"},
                data={"username": username, "password": password, "csrf_token": CSRF})


def _attempts(live: Live, username: str) -> int:
    with unit_of_work(live.factory) as session:
        return int(session.execute(select(func.count()).select_from(LoginAttempt)
                                   .where(LoginAttempt.username == username)).scalar_one())


@pytest.mark.parametrize("mode", MODES)
def test_a_burst_of_wrong_passwords_checks_at_most_the_limit(live: Live, mode: str) -> None:
    live.member(Role.BUYER, "race-ai", username="victim")
    answers = burst(live.url, [_attempt("victim", "wrong password") for _ in range(40)],
                    mode=mode)
    assert_only(answers, {401, 429, 503})
    checked = statuses(answers)[401]
    assert checked <= 5, statuses(answers)
    assert _attempts(live, "victim") == checked
    if not statuses(answers)[503]:
        assert checked == 5
    # the right password is refused too until the window passes
    right = burst(live.url, [_attempt("victim", PASSWORD)])
    assert right[0].status == 429


def test_spraying_many_accounts_from_one_address_is_slowed(live: Live) -> None:
    for n in range(25):
        live.member(Role.BUYER, "race-ai", username=f"user-{n}")
    answers = burst(live.url, [_attempt(f"user-{n}", "wrong password") for n in range(25)])
    assert_only(answers, {401, 429, 503})
    assert statuses(answers)[401] <= 20, statuses(answers)
    refused = [a for a in answers if a.status == 429]
    assert refused and all("address" in a.body for a in refused)
    # even an account with no failures of its own is refused from this address now
    assert burst(live.url, [_attempt("user-0", PASSWORD)])[0].status == 429
