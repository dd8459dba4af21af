"""Instant buys, voucher and cash spending, and clearing rounds racing each other over HTTP:
no offer or cluster sold beyond its GPUs, no voucher or cash account overdrawn, and a buy
answered as failed left no contract behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from suanli.auth import repository as auth_repo
from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market.capacity_check import verify_capacity
from suanli.market.models import Contract
from suanli.vouchers import service as vouchers
from tests.market.helpers import deposit, hour, iso, listable_cluster, order_body, post_offer
from tests.programs.factory import make_program
from tests.races.burst import MODES, Answer, Call, assert_only, burst, statuses
from tests.races.conftest import Live

BUY = "/api/v1/market/instant-buys"
REFUSED_OR_BUSY = {201, 409, 503}


@dataclass
class Market:
    provider: dict[str, str]
    buyer: dict[str, str]
    admin: dict[str, str]
    offer_id: int


def _market(live: Live, *, cash: str = "100000.00", gpus: int = 16) -> Market:
    provider = live.member(Role.PROVIDER, "race-dc")
    buyer = live.member(Role.BUYER, "race-ai")
    admin = live.member(Role.PLATFORM_ADMIN, "race-platform")
    cluster = listable_cluster(live.client, provider, nodes=2, gpus_per_node=gpus // 2)
    offer = post_offer(live.client, provider, cluster["id"], gpus=gpus)
    if cash:
        deposit(live.client, admin, "race-ai", cash)
    return Market(provider, buyer, admin, offer["id"])


def _buys(market: Market, n: int, **body: Any) -> list[Call]:
    return [Call("POST", BUY, market.buyer, {"offer_id": market.offer_id,
                                              "start_at": iso(hour(1)), **body})
            for _ in range(n)]


def _check_books(live: Live, answers: list[Answer]) -> list[Contract]:
    """Capacity and the ledger verify; the contracts stored are exactly those answered."""
    with unit_of_work(live.factory) as session:
        capacity = verify_capacity(session)
        assert capacity.ok, capacity.problem
        books = verify(session)
        assert books.ok, books.problem
        stored = list(session.execute(select(Contract).order_by(Contract.id)).scalars())
    told = {a.body["id"] for a in answers if a.status == 201}
    assert {c.id for c in stored if c.source == "instant"} == told
    return stored


@pytest.mark.parametrize("mode", MODES)
def test_instant_buys_never_sell_an_offer_beyond_its_gpus(live: Live, mode: str) -> None:
    market = _market(live)
    answers = burst(live.url, _buys(market, 30, gpus=4, hours=10), mode=mode)
    assert_only(answers, REFUSED_OR_BUSY)
    assert all(a.body["field"] == "gpus" for a in answers if a.status == 409)
    stored = _check_books(live, answers)
    assert sum(c.gpus for c in stored) <= 16
    if not statuses(answers)[503]:
        assert statuses(answers)[201] == 4
    with unit_of_work(live.factory) as session:
        cash = ledger.balance(session, "buyer-cash:race-ai")
    assert cash.held == sum(c.buyer_pays_fen for c in stored)


def _voucher(live: Live, value_fen: int) -> int:
    """A voucher worth ``value_fen`` for the buyer, from a program of that size."""
    live.member(Role.PROGRAM_ADMIN, "race-bureau")
    with unit_of_work(live.factory) as session:
        bureau = auth_repo.org_by_slug(session, "race-bureau")
        holder = auth_repo.org_by_slug(session, "race-ai")
        assert bureau is not None and holder is not None
        program = make_program(session, bureau.id, budget_fen=value_fen,
                               voucher_min_fen=value_fen, voucher_max_fen=value_fen,
                               default_value_fen=value_fen, cap_per_firm_fen=None)
        return vouchers.issue(session, program=program, holder_org_id=holder.id,
                              value_fen=value_fen, application_id=None, user_id=None).id


@pytest.mark.parametrize("mode", MODES)
def test_a_voucher_is_never_spent_beyond_its_value(live: Live, mode: str) -> None:
    market = _market(live)
    # 1 GPU for 10 hours at 10.00 is 100.00, half of it the (state-run) subsidy: 5 fit
    voucher_id = _voucher(live, 250_00)
    answers = burst(live.url, _buys(market, 20, gpus=1, hours=10, voucher_id=voucher_id),
                    mode=mode)
    assert_only(answers, REFUSED_OR_BUSY)
    assert all(a.body["field"] == "voucher_id" for a in answers if a.status == 409)
    stored = _check_books(live, answers)
    if not statuses(answers)[503]:
        assert statuses(answers)[201] == 5
    with unit_of_work(live.factory) as session:
        held = ledger.balance(session, f"voucher:{voucher_id}")
    assert held.available >= 0 and held.held == sum(c.subsidy_fen for c in stored)


@pytest.mark.parametrize("mode", MODES)
def test_cash_is_never_spent_beyond_the_deposit(live: Live, mode: str) -> None:
    market = _market(live, cash="500.00")
    answers = burst(live.url, _buys(market, 20, gpus=1, hours=10), mode=mode)
    assert_only(answers, REFUSED_OR_BUSY)
    assert all(a.body["field"] == "cash" for a in answers if a.status == 409)
    stored = _check_books(live, answers)
    if not statuses(answers)[503]:
        assert statuses(answers)[201] == 5
    with unit_of_work(live.factory) as session:
        cash = ledger.balance(session, "buyer-cash:race-ai")
    assert cash.available == 0 and cash.held == sum(c.buyer_pays_fen for c in stored)


@pytest.mark.parametrize("mode", MODES)
def test_rounds_and_instant_buys_share_the_capacity(live: Live, mode: str) -> None:
    market = _market(live)
    rival = live.member(Role.BUYER, "race-rival")
    deposit(live.client, market.admin, "race-rival", "100000.00", reference="bank-2")
    for _ in range(4):
        placed = live.client.post("/api/v1/market/orders", headers=rival, json=order_body(
            gpus=8, duration_hours=10, earliest_start=iso(hour(1)), latest_end=iso(hour(11))))
        assert placed.status_code == 201, placed.text
    rounds = [Call("POST", "/api/v1/market/rounds", market.admin, {"time_limit_s": 5})
              for _ in range(2)]
    calls = rounds + _buys(market, 16, gpus=4, hours=10)
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, REFUSED_OR_BUSY)
    ran = [a for a in answers[:2] if a.status == 201]
    assert ran and all(a.body["status"] == "completed" for a in ran)
    assert all(a.body["field"] == "round" for a in answers[:2] if a.status == 409)
    assert all(a.body["field"] == "gpus" for a in answers[2:] if a.status == 409)
    stored = _check_books(live, answers[2:])
    from_rounds = [c for c in stored if c.source == "round"]
    assert len(from_rounds) == sum(a.body["contracts_written"] for a in ran)
    assert sum(c.gpus for c in stored) <= 16
