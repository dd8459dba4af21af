"""The scheduled worker: two workers never clear at once nor twice for one tick."""

from __future__ import annotations

import threading
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.market import orders_service, rounds
from suanli.market.models import Round
from suanli.market.schemas import OrderCreate
from suanli.settlement import worker
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    fresh_world,
    order_body,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")
OPTIONS = rounds.Options(slots=48, time_limit_s=10)


def _in_threads(n: int, target: object) -> None:
    threads = [threading.Thread(target=target) for _ in range(n)]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)


def test_two_workers_run_one_round_per_tick(fresh_database: str) -> None:
    world = fresh_world(fresh_database)
    with unit_of_work(world.factory) as session:
        orders_service.place_order(session, data=OrderCreate(**order_body()),
                                   org_ids={world.buyer_org_id}, user_id=None)
    ran: list[int] = []
    gate = threading.Barrier(2)

    def tick() -> None:
        gate.wait()
        rnd = worker.tick(world.factory, every=timedelta(hours=1), options=OPTIONS)
        if rnd is not None:
            ran.append(rnd.id)

    _in_threads(2, tick)
    assert len(ran) == 1, ran
    assert worker.tick(world.factory, every=timedelta(hours=1), options=OPTIONS) is None
    with unit_of_work(world.factory) as session:
        (only,) = session.execute(select(Round)).scalars()
        assert only.status == "completed" and only.contracts_written == 1


def test_rounds_started_together_never_overlap(fresh_database: str) -> None:
    world = fresh_world(fresh_database)
    gate = threading.Barrier(3)

    def run() -> None:
        gate.wait()
        with unit_of_work(world.factory) as session:
            rounds.run_round(session, options=OPTIONS)

    _in_threads(3, run)
    with unit_of_work(world.factory) as session:
        spans = sorted((r.started_at, r.finished_at) for r in session.execute(
            select(Round)).scalars())
    assert spans, "no round ran"
    for (_, first_end), (second_start, _) in pairwise(spans):
        assert first_end is not None and first_end <= second_start


def test_the_worker_settles_yesterday_once(fresh_database: str) -> None:
    from suanli.ledger.verify import verify
    from suanli.settlement.worker import settle_yesterday
    from tests.settlement.committed import committed_world
    from tests.settlement.usage import use

    world = committed_world(fresh_database)
    factory = make_sessionmaker(make_engine(fresh_database))
    with unit_of_work(factory) as session:
        use(session, world, (0, 24, 8), (24, 36, 8))
    assert settle_yesterday(factory) >= 1
    assert settle_yesterday(factory) == 0  # the next tick finds nothing left to do
    with unit_of_work(factory) as session:
        assert verify(session).ok
