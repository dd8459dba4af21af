"""The capacity invariant: listings count by the hour, withdrawn offers' contracts still
count, and `suanli market verify-capacity` names the first cluster and hour over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from suanli.kit.timeutil import utcnow
from suanli.market import capacity
from suanli.market.capacity_check import verify_capacity
from suanli.market.models import Contract, ContractSource, ContractState, Offer
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    hour,
    iso,
    post_offer,
    small_market,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)
BUY = "/api/v1/market/instant-buys"


def test_loads_add_up_by_the_hour() -> None:
    loads = [capacity.Load(T0, T0 + 4 * H, 8), capacity.Load(T0 + 2 * H, T0 + 6 * H, 8),
             capacity.Load(T0 + 4 * H, T0 + 5 * H, 1)]
    assert capacity.peak(loads, T0, T0 + 10 * H) == (T0 + 2 * H, 16)
    assert capacity.peak(loads, T0 + 5 * H, T0 + 10 * H) == (T0 + 5 * H, 8)
    assert capacity.peak([], T0, T0 + H) == (T0, 0)
    assert capacity.first_excess(loads, 16) is None
    assert capacity.first_excess(loads, 15) == (T0 + 2 * H, 16)
    # a window sells only its whole hours; a contract takes every hour it touches
    assert capacity.listed(T0 + 30 * timedelta(minutes=1), T0 + 3 * H + timedelta(minutes=9),
                           4) == capacity.Load(T0 + H, T0 + 3 * H, 4)
    assert capacity.booked(T0 + timedelta(minutes=5), T0 + 2 * H + timedelta(minutes=1),
                           4) == capacity.Load(T0, T0 + 3 * H, 4)
    assert capacity.held_until(T0 + 9 * H, T0 + 2 * H + timedelta(minutes=1)) == T0 + 3 * H
    assert capacity.held_until(T0 + 9 * H, None) == T0 + 9 * H


@pytest.mark.usefixtures("reference_data", "cheap_passwords")
def test_offers_that_never_overlap_in_an_hour_both_list(
        client: TestClient, member: Callable[..., Any]) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"], start_at=iso(hour(0)),
               end_at=iso(hour(10)))
    post_offer(client, m.provider.headers, m.cluster["id"], start_at=iso(hour(10)),
               end_at=iso(hour(20)))
    over = client.post("/api/v1/market/offers", headers=m.provider.headers, json={
        "cluster_id": m.cluster["id"], "gpus": 1, "start_at": iso(hour(19)),
        "end_at": iso(hour(21)), "ask_cny_per_gpu_hour": "10.00", "min_lease_hours": 1,
        "service_class": "training", "cancel_fee_rate": "0.5"})
    assert (over.status_code, over.json()["field"]) == (409, "gpus")
    assert iso(hour(19))[:13] in over.json()["detail"]


@pytest.mark.usefixtures("reference_data", "cheap_passwords")
def test_a_withdrawn_offers_contracts_still_take_the_cluster(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    bought = client.post(BUY, headers=m.buyer.headers,
                         json={"offer_id": offer["id"], "gpus": 8, "hours": 10})
    assert bought.status_code == 201, bought.text
    assert client.post(f"/api/v1/market/offers/{offer['id']}/withdraw",
                       headers=m.provider.headers).status_code == 200
    full = client.post("/api/v1/market/offers", headers=m.provider.headers,
                       json={"cluster_id": m.cluster["id"], "gpus": 16,
                             "start_at": iso(hour(0)), "end_at": iso(hour(72)),
                             "ask_cny_per_gpu_hour": "10.00", "min_lease_hours": 1,
                             "service_class": "training", "cancel_fee_rate": "0.5"})
    assert (full.status_code, full.json()["field"]) == (409, "gpus")
    assert "only 8 of the cluster's 16 GPUs" in full.json()["detail"]
    post_offer(client, m.provider.headers, m.cluster["id"], gpus=8)
    post_offer(client, m.provider.headers, m.cluster["id"], gpus=8, start_at=iso(hour(10)),
               end_at=iso(hour(20)))
    assert verify_capacity(db).ok


def _sneak_contract(db: Session, offer: Offer, start: datetime, hours: int, gpus: int,
                    cancelled_at: datetime | None = None) -> None:
    """A contract written past the rules, as a bug or a hand in the database would."""
    db.add(Contract(source=ContractSource.INSTANT, offer_id=offer.id,
                    buyer_org_id=offer.organisation_id, provider_org_id=offer.organisation_id,
                    accelerator_model=offer.accelerator_model, gpus=gpus, start_at=start,
                    end_at=start + hours * H, gpu_hours=gpus * hours, unit_price_fen=1,
                    subsidy_rate=0, cost_fen=0, subsidy_fen=0, buyer_pays_fen=0,
                    state=ContractState.CANCELLED if cancelled_at else ContractState.RESERVED,
                    cancelled_at=cancelled_at))
    db.flush()


@pytest.mark.usefixtures("reference_data", "cheap_passwords")
def test_verification_names_the_first_cluster_and_hour_over(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member, cash="")
    first = db.get(Offer, post_offer(client, m.provider.headers, m.cluster["id"], gpus=8)["id"])
    assert first is not None
    clean = verify_capacity(db)
    assert clean.ok and (clean.clusters, clean.offers) == (1, 1)
    # a cancelled contract keeps only the hour it was cancelled in
    _sneak_contract(db, first, hour(2), 10, 8, cancelled_at=hour(3) + timedelta(minutes=5))
    _sneak_contract(db, first, hour(4), 2, 8)
    assert verify_capacity(db).ok
    _sneak_contract(db, first, hour(3), 2, 1)
    verdict = verify_capacity(db)
    assert not verdict.ok and verdict.problem is not None
    assert f"offer {first.id} of cluster {m.cluster['id']}" in verdict.problem
    assert f"9 at {iso(hour(3))}" in verdict.problem
    db.rollback()
    db.add(Offer(organisation_id=first.organisation_id, cluster_id=first.cluster_id,
                 accelerator_model="h20", gpus=9, start_at=hour(5), end_at=hour(8),
                 ask_fen=1, min_lease_hours=1, service_class="training", cancel_fee_rate=0))
    db.flush()
    verdict = verify_capacity(db)
    assert verdict.problem == (f"cluster {m.cluster['id']} ({m.cluster['name']}) is listed "
                               f"beyond its 16 GPUs: 17 at {iso(hour(5))}")


def test_the_command_exits_1_naming_the_cluster_and_stores_the_result(
        fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from suanli.cli import app
    from suanli.config import get_settings
    from suanli.kit.db import make_engine, unit_of_work
    from tests.market.helpers import fresh_world

    world = fresh_world(fresh_database)
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["market", "verify-capacity"])
        assert ok.exit_code == 0, ok.output
        assert "capacity ok: 1 clusters, 1 offers, 0 contracts" in ok.output
        with unit_of_work(world.factory) as session:
            offer = session.get(Offer, world.offer_id)
            assert offer is not None
            start = capacity.next_whole_hour(utcnow()) + 3 * H
            _sneak_contract(session, offer, start, 2, 17)
        bad = runner.invoke(app, ["market", "verify-capacity"])
        assert bad.exit_code == 1
        assert f"offer {world.offer_id}" in bad.output and start.isoformat() in bad.output
        engine = make_engine(fresh_database)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT subject, ok, requested_by, problem FROM "
                                     "integrity_checks ORDER BY id")).all()
        engine.dispose()
    finally:
        get_settings.cache_clear()
    assert [(s, bool(ok), by) for s, ok, by, _ in rows] == [
        ("capacity", True, "suanli market verify-capacity"),
        ("capacity", False, "suanli market verify-capacity")]
    assert f"offer {world.offer_id}" in rows[1][3]
