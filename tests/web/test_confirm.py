"""Destructive actions need a confirmation the server checks; a contract's cancel button
is shown to its buyer only; the platform admin cancels on behalf, with a reason, audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from suanli.audit.models import AuditRecord
from suanli.market.models import Contract, ContractState, Order, OrderStatus
from tests.web.world import build_world, logged_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from build_world(tmp_path_factory.mktemp("confirm"))


def _first(world: FastAPI, model: type, where: object) -> int:
    with world.state.sessions() as session:
        return int(session.execute(select(model.id).where(where)  # type: ignore[attr-defined]
                                   .order_by(model.id)).scalars().first())  # type: ignore[attr-defined]


def _csrf(text: str) -> str:
    return text.split('name="csrf_token" value="')[1].split('"')[0]


def test_an_order_is_cancelled_only_once_confirmed(world: FastAPI) -> None:
    buyer = logged_in(world, "buyer")
    orders = buyer.get("/market/orders")
    link = orders.text.split('data-testid="cancel-order"')[0].rsplit('href="', 1)[1].split('"')[0]
    confirm = buyer.get(link.replace("&amp;", "&"))
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
    action = confirm.text.split('id="confirm-form"')[0].rsplit('action="', 1)[1].split('"')[0]
    assert action.startswith("/market/orders/")
    refused = buyer.post(action, data={"csrf_token": _csrf(confirm.text)},
                         follow_redirects=False)
    assert refused.status_code == 422 and "confirm" in refused.text
    order_id = int(action.split("/")[3])
    with world.state.sessions() as session:
        assert session.get(Order, order_id).status == OrderStatus.OPEN
    done = buyer.post(action, data={"csrf_token": _csrf(confirm.text), "confirm": "yes"})
    assert done.status_code == 200 and 'data-testid="flash"' in done.text
    with world.state.sessions() as session:
        assert session.get(Order, order_id).status == OrderStatus.CANCELLED


def test_only_the_buyer_sees_cancel_and_the_admin_cancels_on_behalf(world: FastAPI) -> None:
    contract_id = _first(world, Contract, Contract.state.in_(
        (ContractState.RESERVED, ContractState.RUNNING)))
    provider = logged_in(world, "provider").get("/market/contracts").text
    assert "cancel-contract" not in provider and "cancel-on-behalf" not in provider
    admin = logged_in(world, "admin")
    page = admin.get("/market/contracts").text
    assert 'data-testid="cancel-contract"' not in page and "cancel-on-behalf" in page
    token = _csrf(page)
    plain = admin.post(f"/market/contracts/{contract_id}/cancel", follow_redirects=False,
                       data={"csrf_token": token, "confirm": "yes"})
    assert plain.status_code == 404  # not a party
    behalf = f"/market/contracts/{contract_id}/cancel-on-behalf"
    no_reason = admin.post(behalf, follow_redirects=False,
                           data={"csrf_token": token, "confirm": "yes", "reason": " "})
    assert no_reason.status_code == 422
    done = admin.post(behalf, follow_redirects=False, data={
        "csrf_token": token, "confirm": "yes", "reason": "provider outage"})
    assert done.status_code == 303
    with world.state.sessions() as session:
        assert session.get(Contract, contract_id).state == ContractState.CANCELLED
        events = session.execute(select(AuditRecord).where(
            AuditRecord.action == "contract.cancel_on_behalf")).scalars().all()
        assert [e.after["reason"] for e in events] == ["provider outage"]


def test_the_confirmation_page_knows_only_destructive_actions(world: FastAPI) -> None:
    buyer = logged_in(world, "buyer")
    assert buyer.get("/confirm", params={"action": "/logout"}).status_code == 404
    page = buyer.get("/confirm", params={"action": "/market/orders/1/cancel",
                                         "back": "//evil.example"})
    assert page.status_code == 200 and 'href="//evil' not in page.text


def test_a_missing_confirmation_shows_the_form_again(world: FastAPI) -> None:
    """Not the error page: the confirmation form, with the message and what was typed."""
    reviewer = logged_in(world, "reviewer")
    page = reviewer.get("/review")
    refused = reviewer.post("/review/batch", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "decision": "reject", "reason": "budget spent",
        "application_ids": ["1", "2"]})
    assert refused.status_code == 422
    assert 'id="confirm-form"' in refused.text and 'action="/review/batch"' in refused.text
    assert 'data-testid="confirm-error"' in refused.text and "Tick the box" in refused.text
    for name, value in (("decision", "reject"), ("reason", "budget spent"),
                        ("application_ids", "1"), ("application_ids", "2")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in refused.text
    assert 'name="csrf_token" value="' in refused.text
    # In Chinese too, on the page that cancels on behalf (its reason is kept in the box).
    admin = logged_in(world, "admin")
    admin.cookies.set("suanli_lang", "zh")
    token = _csrf(admin.get("/market/contracts").text)
    again = admin.post("/market/contracts/1/cancel-on-behalf", follow_redirects=False,
                       data={"csrf_token": token, "reason": "provider outage"})
    assert again.status_code == 422 and "请勾选确认框" in again.text
    assert ">provider outage</textarea>" in again.text
