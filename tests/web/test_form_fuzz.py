"""Every form of every page, as each demo role meets it, filled with values no field should
choke on: a huge amount, an id past BIGINT, a deeply nested JSON document. The answer is
never a 5xx, and a refusal (422) names the field it refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from suanli.demo.build import USERS
from tests.web.world import Form, build_world, crawl, logged_in, same_site, shape

NESTED = '{"all": [' * 3000 + "]}" * 3000
VALUES = ["1e30", "1" + "0" * 30, "-1", NESTED]
SHORT = [v for v in VALUES if len(v) < 100]
SKIP_ACTIONS = ("/logout", "/login")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from build_world(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def tried() -> set[str]:
    """Form shapes already filled by an earlier role: one role's try is enough (the same
    handler reads the same fields), which keeps the test short."""
    return set()


def _shape(action: str, form: Form) -> str:
    """Forms that differ only in the ids they act on are one form to the fuzzer."""
    return form.method + " " + shape(action.split("?")[0])


@pytest.mark.parametrize("username", [user[0] for user in USERS])
def test_no_form_value_causes_a_server_error(world: FastAPI, username: str,
                                             tried: set[str]) -> None:
    client = logged_in(world, username)
    _, _, forms = crawl(client)
    assert forms, "the crawl met no form"
    wrong: list[str] = []
    for page, form in forms:
        action = same_site(page, form.action or page)
        if action is None or action.startswith(SKIP_ACTIONS) or _shape(action, form) in tried:
            continue
        tried.add(_shape(action, form))
        for name in form.text_fields:
            for value in VALUES if form.method == "post" else SHORT:
                data = {**form.fields, name: value}
                if form.method == "post":
                    response = client.post(action, data=data, follow_redirects=False)
                else:
                    response = client.get(action.split("?")[0], params=data,
                                          follow_redirects=False)
                status = response.status_code
                # A refused number names its field (a long text may meet a form already
                # acted on by a shorter one, which then shows no field).
                unnamed = status == 422 and value in SHORT and name not in response.text
                if status >= 500 or unnamed:
                    wrong.append(f"{form.method} {action} {name}={value[:12]}: {status}")
    assert not wrong, "\n".join(wrong)
