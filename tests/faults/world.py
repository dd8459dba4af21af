"""A small committed world for the crash tests, built with the platform's services: the
settlement world (a contract over the two days before today, a voucher, cash), two open
orders a clearing round can fill, and a usage file for the contract's first day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.market import orders_service
from suanli.market.capacity import next_whole_hour
from suanli.market.schemas import OrderCreate
from tests.settlement.world import World, build_world, org_maker


@dataclass(frozen=True)
class Faulted:
    url: str
    world: World
    usage: Path  # JSON Lines, `rows` records of one minute each on the first day
    rows: int


def faulted_world(url: str, tmp: Path, *, rows: int) -> Faulted:
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        world = build_world(session, org_maker(session), days_ago=2)
        start = next_whole_hour(utcnow()) + timedelta(hours=1)
        for gpus in (4, 4):  # both fit the offer's eight GPUs left, so both are filled
            orders_service.place_order(session, org_ids={world.buyer.org_id}, user_id=None,
                                       data=OrderCreate(
                accelerators=["h20"], gpus=gpus, duration_hours=4, earliest_start=start,
                latest_end=start + timedelta(hours=12), limit_cny_per_gpu_hour="12.00"))
    engine.dispose()
    usage = tmp / f"usage-{world.contract.id}.jsonl"
    with usage.open("w") as out:
        for n in range(rows):  # a minute each, 4 GPUs: two share a minute at most (8 sold)
            begin = world.start + timedelta(minutes=n % 1440)
            out.write(json.dumps({"contract_id": world.contract.id, "ref": f"job-{n}",
                                  "start": begin.isoformat(),
                                  "end": (begin + timedelta(minutes=1)).isoformat(),
                                  "gpus": 4}) + "\n")
    return Faulted(url, world, usage, rows)
