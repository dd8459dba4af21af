"""Contracts: instant buys with their holds, state moves, cancellation before and after the
start, scoping, bad input; concurrent instant buys never over-sell."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.kit.errors import AppError
from suanli.ledger import service as ledger
from suanli.market import contracts, funds, instant
from suanli.market.models import Contract, ContractState
from suanli.market.schemas import InstantBuy
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    fresh_world,
    hour,
    iso,
    issue_voucher,
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
BUY = "/api/v1/market/instant-buys"


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Contract)).scalar_one())


def _buy(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(BUY, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_instant_buy_holds_the_voucher_share_and_the_buyers_share(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    voucher = issue_voucher(db, member, m.buyer.org_id)
    c = _buy(client, m.buyer.headers, offer_id=offer["id"], gpus=8, hours=10,
             voucher_id=voucher.id)
    assert (c["state"], c["source"], c["start_at"][:13]) == ("reserved", "instant",
                                                              iso(hour(0))[:13])
    assert (c["cost_cny"], c["subsidy_cny"], c["buyer_pays_cny"]) == ("800.00", "400.00",
                                                                       "400.00")
    assert c["voucher_hold_id"] == f"contract:{c['id']}:voucher-hold"
    assert ledger.balance(db, f"voucher:{voucher.id}").held == 400_00
    assert funds.cash_balance(db, m.buyer.org_slug).held == 400_00
    assert ledger.balance(db, f"provider-receivable:{m.provider.org_slug}").posted == 0
    provider_view = client.get("/api/v1/market/contracts", headers=m.provider.headers).json()
    assert [x["id"] for x in provider_view["items"]] == [c["id"]]
    stranger = member(Role.BUYER)
    assert client.get(f"/api/v1/market/contracts/{c['id']}",
                      headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/market/contracts", headers=stranger.headers).json()[
        "items"] == []
    assert client.post(f"/api/v1/market/contracts/{c['id']}/cancel",
                       headers=stranger.headers).status_code == 404
    assert client.post(f"/api/v1/market/contracts/{c['id']}/cancel",
                       headers=m.provider.headers).status_code == 403


def test_cancelling_before_the_start_voids_both_holds(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    voucher = issue_voucher(db, member, m.buyer.org_id)
    c = _buy(client, m.buyer.headers, offer_id=offer["id"], gpus=8, hours=10,
             voucher_id=voucher.id, start_at=iso(hour(2)))
    done = client.post(f"/api/v1/market/contracts/{c['id']}/cancel", headers=m.buyer.headers)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["cancel_charge_cny"]) == ("cancelled", "0.00")
    v = ledger.balance(db, f"voucher:{voucher.id}")
    assert (v.held, v.available) == (0, 1_000_000_00)
    cash = funds.cash_balance(db, m.buyer.org_slug)
    assert (cash.held, cash.available) == (0, 100_000_00)
    again = client.post(f"/api/v1/market/contracts/{c['id']}/cancel", headers=m.buyer.headers)
    assert (again.status_code, again.json()["field"]) == (409, "state")
    # the capacity is free again
    assert _buy(client, m.buyer.headers, offer_id=offer["id"], gpus=16, hours=10,
                start_at=iso(hour(2)))["gpus"] == 16


def test_contracts_run_complete_and_after_the_start_cancel_per_the_offer(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"], cancel_fee_rate="0.5")
    voucher = issue_voucher(db, member, m.buyer.org_id)
    c = _buy(client, m.buyer.headers, offer_id=offer["id"], gpus=8, hours=10,
             voucher_id=voucher.id)
    other = _buy(client, m.buyer.headers, offer_id=offer["id"], gpus=4, hours=3)
    start = hour(0)
    assert contracts.advance_contracts(db, now=start + timedelta(minutes=30)) == 2
    row = db.get(Contract, c["id"])
    assert row is not None and row.state == ContractState.RUNNING
    assert contracts.advance_contracts(db, now=start + timedelta(hours=3)) == 1
    done = db.get(Contract, other["id"])
    assert done is not None and done.state == ContractState.COMPLETED
    assert [h.hold_id for h in contracts.contract_holds(row)] == [
        f"contract:{row.id}:voucher-hold", f"contract:{row.id}:buyer-hold"]
    # 2 hours begun at 80.00/h, plus half of the 8 hours not begun: 160 + 320 = 480
    cancelled = contracts.cancel_contract(db, contract_id=row.id, buyer_ids=None,
                                          now=start + timedelta(hours=1, minutes=10))
    assert (cancelled.state, cancelled.cancel_charge_fen) == ("cancelled", 480_00)
    # The voucher subsidises the hours begun, not the fee for the hours never run (the
    # program's default): half of 160.00.
    v = ledger.balance(db, f"voucher:{voucher.id}")
    assert (v.held, v.debits_posted) == (0, 80_00)
    receivable = ledger.balance(db, f"provider-receivable:{m.provider.org_slug}")
    assert receivable.credits_posted == 480_00


BAD_BUYS: list[tuple[dict[str, Any], str, int]] = [
    ({"gpus": 0}, "gpus", 422),
    ({"gpus": 17}, "gpus", 409),
    ({"hours": 0}, "hours", 422),
    ({"hours": 500}, "hours", 422),
    ({"start_at": iso(hour(-30))}, "start_at", 422),
    ({"start_at": iso(hour(0) + timedelta(minutes=30))}, "start_at", 422),
    ({"start_at": "2026-12-01T00:00:00"}, "start_at", 422),
    ({"offer_id": 999999}, "offer_id", 404),
    ({"voucher_id": 999999}, "voucher_id", 404),
    ({"organisation": "nobody"}, "organisation", 404),
    ({"extra": True}, "extra", 422),
]


def test_bad_instant_buys_name_the_field_and_write_nothing(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"], min_lease_hours=2)
    wrong = []
    for change, field, status in [*BAD_BUYS, ({"hours": 1}, "hours", 422)]:
        body = {"offer_id": offer["id"], "gpus": 4, "hours": 4, **change}
        response = client.post(BUY, json=body, headers=m.buyer.headers)
        got = (response.status_code, response.json().get("field"))
        if got != (status, field):
            wrong.append(f"{change}: {got}, wanted {(status, field)}")
    assert not wrong, wrong
    poor = member(Role.BUYER)
    response = client.post(BUY, json={"offer_id": offer["id"], "gpus": 4, "hours": 4},
                           headers=poor.headers)
    assert (response.status_code, response.json()["field"]) == (409, "cash")
    client.post(f"/api/v1/market/offers/{offer['id']}/withdraw", headers=m.provider.headers)
    response = client.post(BUY, json={"offer_id": offer["id"], "gpus": 4, "hours": 4},
                           headers=m.buyer.headers)
    assert (response.status_code, response.json()["field"]) == (409, "offer_id")
    assert _count(db) == 0


def test_a_voucher_without_enough_left_is_refused(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"], gpus=16,
                       ask_cny_per_gpu_hour="100000.00")
    voucher = issue_voucher(db, member, m.buyer.org_id)
    response = client.post(BUY, headers=m.buyer.headers, json={
        "offer_id": offer["id"], "gpus": 16, "hours": 2, "voucher_id": voucher.id})
    assert (response.status_code, response.json()["field"]) == (409, "voucher_id")
    assert _count(db) == 0


def test_concurrent_instant_buys_never_over_sell(fresh_database: str) -> None:
    world = fresh_world(fresh_database, gpus=16)
    outcomes: list[str] = []
    gate = threading.Barrier(8)

    def buy() -> None:
        gate.wait()
        try:
            with unit_of_work(world.factory) as session:
                instant.instant_buy(session, data=InstantBuy(
                    offer_id=world.offer_id, gpus=3, hours=6), org_ids={world.buyer_org_id})
            outcomes.append("ok")
        except AppError as exc:
            outcomes.append(f"{exc.status}:{exc.field}")

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["409:gpus"] * 3 + ["ok"] * 5, outcomes
    with unit_of_work(world.factory) as session:
        sold = session.execute(select(func.sum(Contract.gpus))).scalar_one()
        assert sold == 15
        assert funds.cash_balance(session, "fresh-ai").held == 5 * 3 * 6 * 10_00
