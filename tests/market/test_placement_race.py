"""Two contracts of one cluster placed at the same moment, each in its own transaction and
connection (usage for both arriving at once): they never share a GPU."""

from __future__ import annotations

import threading
from datetime import timedelta

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.market import instant, placement
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy
from tests.settlement.committed import committed_world


def test_concurrent_placements_take_different_gpus(fresh_database: str) -> None:
    world = committed_world(fresh_database)
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        other = instant.instant_buy(session, org_ids={world.buyer.org_id},
                                    now=world.start - timedelta(hours=1),
                                    data=InstantBuy(offer_id=world.contract.offer_id, gpus=8,
                                                    hours=48, start_at=world.start))
        ids = [world.contract.id, other.id]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def place(contract_id: int) -> None:
        try:
            with unit_of_work(factory) as session:
                barrier.wait(timeout=10)  # before the first statement: SQLite's BEGIN waits
                contract = session.get(Contract, contract_id)
                assert contract is not None
                placement.place(session, contract)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=place, args=(c,)) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    with unit_of_work(factory) as session:
        placed = placement.placement_of(session, ids)
    engine.dispose()
    first, second = ({g.gpu_uuid for g in placed[c]} for c in ids)
    assert len(first) == len(second) == 8 and not first & second
