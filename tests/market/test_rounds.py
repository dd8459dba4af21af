"""Clearing rounds in the service: snapshot per the spec, contracts with holds, capacity,
stored snapshot and result, re-runs, left-out orders and reasons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import to_shanghai
from suanli.ledger import service as ledger
from suanli.market import funds, repository
from suanli.market.clearing import check, validate
from suanli.market.offers_service import Grid, profiles
from suanli.market.rounds import Options, run_round
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    hour,
    iso,
    issue_voucher,
    order_body,
    post_offer,
    small_market,
)

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
ROUNDS = "/api/v1/market/rounds"


def _order(client: TestClient, headers: dict[str, str], **change: Any) -> dict[str, Any]:
    response = client.post("/api/v1/market/orders", json=order_body(**change), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _round(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(ROUNDS, json={"time_limit_s": 20}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _free(snapshot: dict[str, Any], offer_id: int) -> list[int]:
    """Free GPUs of an offer per slot, summed over its snapshot rectangles."""
    free = [0] * snapshot["slots"]
    for o in snapshot["offers"]:
        if o["id"].split(".")[0] == f"of-{offer_id}":
            for s in range(o["start_slot"], o["end_slot"]):
                free[s] += o["gpus"]
    return free


def test_a_round_end_to_end(client: TestClient, member: Callable[..., Any],
                            db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    voucher = issue_voucher(db, member, m.buyer.org_id)
    poor = member(Role.BUYER)
    a = _order(client, m.buyer.headers, voucher_id=voucher.id, limit_cny_per_gpu_hour="6.00")
    b = _order(client, m.buyer.headers, gpus=4, duration_hours=5,
               limit_cny_per_gpu_hour="9.99")
    c = _order(client, poor.headers, gpus=4, duration_hours=5)
    d = _order(client, m.buyer.headers, accelerators=["l20"])
    rnd = _round(client, m.admin.headers)
    assert (rnd["status"], rnd["result_status"], rnd["contracts_written"]) == (
        "completed", "optimal", 1)
    assert rnd["left_out"] == [{"order": c["id"], "reason": rnd["left_out"][0]["reason"]}]
    assert "cash" in rnd["left_out"][0]["reason"]
    snapshot = client.get(f"{ROUNDS}/{rnd['id']}/snapshot", headers=m.admin.headers).json()
    assert validate(snapshot) == []
    stored = client.get(f"{ROUNDS}/{rnd['id']}/result", headers=m.admin.headers).json()
    assert check(snapshot, stored) == []
    assert [o["id"] for o in snapshot["orders"]] == [f"or-{x['id']}" for x in (a, b, d)]
    assert snapshot["vouchers"][0]["balance_cny"] == "1000000.00"
    (contract,) = client.get("/api/v1/market/contracts", headers=m.buyer.headers).json()["items"]
    assert (contract["order_id"], contract["gpus"], contract["cost_cny"],
            contract["subsidy_cny"], contract["buyer_pays_cny"]) == (a["id"], 8, "800.00",
                                                                      "400.00", "400.00")
    assert ledger.balance(db, f"voucher:{voucher.id}").held == 400_00
    assert funds.cash_balance(db, m.buyer.org_slug).held == 400_00
    row = repository.offer(db, offer["id"])
    assert row is not None
    start = datetime.fromisoformat(contract["start_at"])
    assert profiles(db, [row], Grid(start, 10))[row.id] == [8] * 10
    orders = {o["id"]: o for o in client.get("/api/v1/market/orders",
                                             headers=m.buyer.headers).json()["items"]}
    assert orders[a["id"]]["status"] == "matched"
    assert "over_limit" in orders[b["id"]]["status_reason"]
    assert "no_compatible_offer" in orders[d["id"]]["status_reason"]
    auditor = member(Role.AUDITOR)
    rerun = client.get(f"{ROUNDS}/{rnd['id']}/rerun", headers=auditor.headers).json()
    assert rerun == {"round_id": rnd["id"], "same": True, "differences": []}
    result = client.get(f"{ROUNDS}/{rnd['id']}/result", headers=auditor.headers)
    assert result.json()["assignments"][0]["order"] == f"or-{a['id']}"
    assert "attachment" in result.headers["content-disposition"]
    assert client.get(ROUNDS, headers=m.buyer.headers).status_code == 403


def test_an_instant_buy_then_a_round_respects_the_sold_capacity(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    bought = client.post("/api/v1/market/instant-buys", headers=m.buyer.headers, json={
        "offer_id": offer["id"], "gpus": 10, "hours": 24, "start_at": iso(hour(0))})
    assert bought.status_code == 201, bought.text
    soon = {"duration_hours": 24, "latest_end": iso(hour(30))}
    too_big = _order(client, m.buyer.headers, gpus=8, **soon)
    fits = _order(client, m.buyer.headers, gpus=6, **soon)
    rnd = _round(client, m.admin.headers)
    snapshot = client.get(f"{ROUNDS}/{rnd['id']}/snapshot", headers=m.admin.headers).json()
    free = _free(snapshot, offer["id"])
    assert snapshot["horizon_start"] == to_shanghai(hour(0)).isoformat()
    assert free[:24] == [6] * 24 and free[24:72] == [16] * 48
    orders = {o["id"]: o for o in client.get("/api/v1/market/orders",
                                             headers=m.buyer.headers).json()["items"]}
    assert orders[fits["id"]]["status"] == "matched"
    assert orders[too_big["id"]]["status"] == "open"
    assert rnd["contracts_written"] == 1


def test_the_minimum_lease_is_enforced_through_the_snapshot(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"], min_lease_hours=24)
    short = _order(client, m.buyer.headers, duration_hours=10)
    long = _order(client, m.buyer.headers, duration_hours=24)
    rnd = _round(client, m.admin.headers)
    snapshot = client.get(f"{ROUNDS}/{rnd['id']}/snapshot", headers=m.admin.headers).json()
    assert {a["model"] for a in snapshot["accelerators"]} == {"h20", "h20~min24"}
    models = {o["id"]: o["accelerators"] for o in snapshot["orders"]}
    assert models == {f"or-{short['id']}": ["h20"], f"or-{long['id']}": ["h20", "h20~min24"]}
    orders = {o["id"]: o["status"] for o in client.get(
        "/api/v1/market/orders", headers=m.buyer.headers).json()["items"]}
    assert orders == {short["id"]: "open", long["id"]: "matched"}


def test_a_voucher_restricted_to_other_providers_pays_nothing_here(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"])
    voucher = issue_voucher(db, member, m.buyer.org_id, provider_mode="list",
                            provider_slugs=["someone-else"])
    _order(client, m.buyer.headers, voucher_id=voucher.id)
    rnd = _round(client, m.admin.headers)
    assert rnd["contracts_written"] == 1
    (contract,) = client.get("/api/v1/market/contracts", headers=m.buyer.headers).json()["items"]
    assert (contract["subsidy_cny"], contract["voucher_hold_id"]) == ("0.00", None)
    assert ledger.balance(db, f"voucher:{voucher.id}").held == 0


def test_a_round_with_nothing_to_clear_completes_empty(db: Session) -> None:
    rnd = run_round(db, options=Options(slots=24, time_limit_s=5))
    assert rnd is not None and rnd.status == "completed"
    assert rnd.snapshot is not None and rnd.snapshot["orders"] == []
    assert rnd.result is not None and rnd.result["status"] == "empty"
    assert rnd.contracts_written == 0


def test_bad_round_requests_name_the_field(client: TestClient,
                                           member: Callable[..., Any]) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    for body, field in (({"slots": 0}, "slots"), ({"time_limit_s": -1}, "time_limit_s"),
                        ({"start_at": "2026-12-01T00:00:00"}, "start_at"),
                        ({"colour": 1}, "colour")):
        response = client.post(ROUNDS, json=body, headers=admin.headers)
        assert (response.status_code, response.json()["field"]) == (422, field), body
    assert client.get(f"{ROUNDS}/999999", headers=admin.headers).status_code == 404
    assert client.get(f"{ROUNDS}/999999/rerun", headers=admin.headers).status_code == 404
