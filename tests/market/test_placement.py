"""Contract placement: which attested GPUs serve a contract, recorded when it starts,
set or changed by its provider, shown on the contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.market import instant, placement
from suanli.market.contracts import advance_contracts, cancel_contract
from suanli.market.models import Contract
from suanli.market.placing import FreeGpu, choose
from suanli.market.schemas import InstantBuy
from tests.settlement.world import World, build_world, org_maker


def buy(db: Session, world: World, start: datetime, *, gpus: int = 8) -> Contract:
    """Another contract on the world's offer (16 GPUs over four days)."""
    return instant.instant_buy(db, org_ids={world.buyer.org_id}, now=world.start - HOUR,
                               data=InstantBuy(offer_id=world.contract.offer_id, gpus=gpus,
                                               hours=48, start_at=start))


def oversold(db: Session, world: World, gpus: int) -> Contract:
    """A contract the market would never sell (written directly): no GPU is left for it."""
    c = world.contract
    extra = Contract(source=c.source, offer_id=c.offer_id, buyer_org_id=c.buyer_org_id,
                     provider_org_id=c.provider_org_id, accelerator_model=c.accelerator_model,
                     gpus=gpus, start_at=c.start_at, end_at=c.end_at, gpu_hours=gpus * 48,
                     unit_price_fen=1000, subsidy_rate=c.subsidy_rate, cost_fen=0,
                     subsidy_fen=0, buyer_pays_fen=0, state=c.state)
    db.add(extra)
    db.flush()
    return extra


HOUR = timedelta(hours=1)


def gpus(*nodes: tuple[str, int]) -> list[FreeGpu]:
    return [FreeGpu(host, i, f"GPU-{host}-{i}") for host, n in nodes for i in range(n)]


def test_choose_fits_one_node_best_else_fewest_nodes() -> None:
    free = gpus(("n1", 8), ("n2", 3), ("n3", 5))
    assert [g.uuid for g in choose(free, 4)] == [f"GPU-n3-{i}" for i in range(4)]
    assert [g.uuid for g in choose(free, 3)] == [f"GPU-n2-{i}" for i in range(3)]
    spilled = choose(free, 10)
    assert [g.hostname for g in spilled] == ["n1"] * 8 + ["n3"] * 2
    assert choose(list(reversed(free)), 10) == spilled  # the order given does not matter
    assert len(choose(free, 99)) == 16


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def test_placed_when_it_starts_on_free_gpus_of_its_cluster(db: Session, world: World) -> None:
    second = buy(db, world, world.start)
    third = oversold(db, world, 4)
    later = buy(db, world, world.start + timedelta(hours=48))
    advance_contracts(db, now=world.start + timedelta(hours=49))
    placed = placement.placement_of(db, [world.contract.id, second.id, third.id, later.id])
    assert [g.gpu_uuid for g in placed[world.contract.id]] == world.uuids[:8]
    assert [g.gpu_uuid for g in placed[second.id]] == world.uuids[8:]
    assert third.id not in placed  # all 16 GPUs serve overlapping contracts
    assert [g.gpu_uuid for g in placed[later.id]] == world.uuids[:8]  # free again by then
    first = placed[world.contract.id][0]
    assert (first.since, first.until, first.hostname, first.placed_by) == (
        world.contract.start_at, world.contract.end_at, "node-00", "platform")
    # Placing again keeps what was recorded.
    assert placement.place(db, world.contract) == placed[world.contract.id]


def test_a_cancelled_contract_frees_its_gpus(db: Session, world: World) -> None:
    placement.place(db, world.contract)
    cancel_contract(db, contract_id=world.contract.id, buyer_ids=None,
                    now=world.start - timedelta(minutes=5))
    other = buy(db, world, world.start, gpus=16)
    assert [g.gpu_uuid for g in placement.place(db, other)] == world.uuids


def test_the_provider_changes_the_placement_from_a_moment_on(db: Session, world: World
                                                            ) -> None:
    placement.place(db, world.contract)
    swap = world.start + timedelta(hours=10)
    new = [*world.uuids[:6], *world.uuids[8:10]]
    placement.set_placement(db, contract_id=world.contract.id,
                            org_ids={world.provider.org_id}, gpu_uuids=new,
                            effective_from=swap, placed_by="ops")
    rows = placement.placement_of(db, [world.contract.id])[world.contract.id]
    before = [r for r in rows if r.since == world.start]
    after = [r for r in rows if r.since == swap]
    assert [r.gpu_uuid for r in before] == world.uuids[:8]
    assert all(r.until == swap for r in before)
    assert sorted(r.gpu_uuid for r in after) == sorted(new)
    assert all(r.until == world.contract.end_at and r.placed_by == "ops" for r in after)
    other = buy(db, world, world.start, gpus=2)
    with pytest.raises(Conflict) as clash:
        placement.set_placement(db, contract_id=other.id, org_ids={world.provider.org_id},
                                gpu_uuids=[world.uuids[8]], effective_from=swap,
                                placed_by="ops")
    assert clash.value.field == "gpu_uuids" and str(world.contract.id) in clash.value.detail
    # Before the swap GPU 8 was free, and GPU 6 is free after it.
    placement.set_placement(db, contract_id=other.id, org_ids={world.provider.org_id},
                            gpu_uuids=[world.uuids[6]], effective_from=swap, placed_by="ops")
    for bad, field in ((["GPU-not-attested"], "gpu_uuids"), (world.uuids[:9], "gpu_uuids")):
        with pytest.raises(ValidationFailed) as caught:
            placement.set_placement(db, contract_id=world.contract.id,
                                    org_ids={world.provider.org_id}, gpu_uuids=bad,
                                    effective_from=swap, placed_by="ops")
        assert caught.value.field == field
    with pytest.raises(ValidationFailed) as late:
        placement.set_placement(db, contract_id=world.contract.id,
                                org_ids={world.provider.org_id}, gpu_uuids=new,
                                effective_from=world.contract.end_at, placed_by="ops")
    assert late.value.field == "from"


def test_placement_through_the_api(client: TestClient, db: Session,
                                   member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    url = f"/api/v1/market/contracts/{world.contract.id}"
    swap = (world.start + timedelta(hours=1)).isoformat()
    body = {"gpu_uuids": world.uuids[8:16], "from": swap}
    headers = {**world.provider.headers, "Idempotency-Key": "place-1"}
    put = client.put(f"{url}/placement", json=body, headers=headers)
    assert put.status_code == 200, put.text
    read = client.get(url, headers=world.buyer.headers).json()
    rows = [(g["gpu_uuid"], g["since"][:16], g["until"][:16]) for g in read["placement"]]
    assert rows[:8] == [(u, world.start.isoformat()[:16], swap[:16]) for u in world.uuids[:8]]
    assert {r[0] for r in rows[8:]} == set(world.uuids[8:16])
    assert put.json()["placement"] == read["placement"]
    assert client.put(f"{url}/placement", json=body, headers=world.buyer.headers
                      ).status_code == 403
    stranger = member(Role.PROVIDER)
    assert client.put(f"{url}/placement", json=body, headers=stranger.headers
                      ).status_code == 404
    twice = client.put(f"{url}/placement", json={"gpu_uuids": [world.uuids[0]] * 2},
                       headers=world.provider.headers)
    assert twice.status_code == 422 and twice.json()["field"] == "gpu_uuids"
    naive = client.put(f"{url}/placement", json={"gpu_uuids": world.uuids[:1],
                                                 "from": "2026-01-01T00:00:00"},
                       headers=world.provider.headers)
    assert naive.status_code == 422 and naive.json()["field"] == "from"
