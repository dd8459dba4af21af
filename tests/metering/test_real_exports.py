"""Real exports into the database: a raw sacct day, usage from the future, DCGM runs
split across files, attribution by placement, the same time as a count and by GPU."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.kit.timeutil import SHANGHAI, utcnow
from suanli.market import instant, placement
from suanli.market.schemas import InstantBuy
from suanli.metering import service
from suanli.metering.attribution import NOT_PLACED
from suanli.metering.importer import import_in
from suanli.metering.models import UsageRecord
from suanli.metering.rows import Format
from suanli.providers.models import DataCentre
from tests.settlement.world import World, build_world, org_maker

ANY = service.Reporter(name="test", org_ids=None)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def records(db: Session, contract_id: int) -> list[UsageRecord]:
    stmt = select(UsageRecord).where(UsageRecord.contract_id == contract_id)
    return list(db.execute(stmt.order_by(UsageRecord.started_at, UsageRecord.id)).scalars())


def raw_export(world: World) -> list[str]:
    """The fixture's day moved onto the world contract's first (Shanghai) day."""
    day = world.start.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    text = (FIXTURES / "sacct_raw.txt").read_text(encoding="utf-8")
    return text.replace("2026-12-01", day).replace("contract-17",
                                                   f"contract-{world.contract.id}").splitlines()


def test_a_raw_sacct_export_imports_whole_with_all_or_nothing(db: Session, world: World
                                                               ) -> None:
    report = import_in(db, lines=raw_export(world), fmt=Format.SACCT, reporter=ANY)
    assert (report.accepted, report.refused, report.skipped) == (10, 0, 27)
    assert report.zones == {"Asia/Shanghai": "the default; no data centre time zone set"}
    stored = records(db, world.contract.id)
    jobs = [r.source_ref.split("@")[0] for r in stored]
    assert sorted(jobs) == sorted(["4242", "4243_1", "4243_2", "4243_3", "4250", "4250",
                                   "4270+1", "4300", "4310", "4311"])
    # Two jobs of the same size, start and end, two array tasks alike: each bills in full.
    same = [r for r in stored if r.source_ref.split("@")[0] in ("4310", "4311", "4243_1",
                                                                 "4243_2")]
    assert all(r.billable_gpu_seconds == r.gpu_seconds and r.flags == [] for r in same)
    requeued = [r.gpu_seconds for r in stored if r.source_ref.startswith("4250@")]
    assert sorted(requeued) == [4 * 2370, 4 * 7200]
    again = import_in(db, lines=raw_export(world), fmt=Format.SACCT, reporter=ANY)
    assert (again.accepted, again.duplicates) == (0, 10)


def test_local_times_are_read_in_the_data_centres_zone(db: Session, world: World) -> None:
    dc = db.get(DataCentre, world.cluster.data_centre_id)
    assert dc is not None
    dc.time_zone = "Asia/Urumqi"  # UTC+6: local times two hours earlier than Shanghai's
    db.flush()
    local = (world.start + timedelta(hours=2)).astimezone(SHANGHAI).replace(tzinfo=None)
    line = (f"7|contract-{world.contract.id}|{local:%Y-%m-%dT%H:%M:%S}|"
            f"{local + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}|3600|gres/gpu=1")
    lines = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES", line]
    report = import_in(db, lines=lines, fmt=Format.SACCT, reporter=ANY)
    assert report.zones == {"Asia/Urumqi": "the data centre of cluster qy-h20"}
    (row,) = records(db, world.contract.id)
    assert row.started_at == world.start + timedelta(hours=4)
    forced = import_in(db, lines=[lines[0], line.replace("7|", "8|", 1)], fmt=Format.SACCT,
                       reporter=ANY, tz="Asia/Shanghai")
    assert forced.zones == {"Asia/Shanghai": "--tz"}
    assert records(db, world.contract.id)[0].started_at == world.start + timedelta(hours=2)


def stamp(at: datetime) -> str:
    return f"{int(at.timestamp()) * 1000}"


def dcgm(uuids: list[str], start: datetime, minutes: range, *, shape: str = "federate",
         label: str = "") -> list[str]:
    """Samples a minute apart in one of the three file shapes."""
    out = []
    for m in minutes:
        at = start + timedelta(minutes=m)
        for i, uuid in enumerate(uuids):
            labels = f'Hostname="node-00",UUID="{uuid}",gpu="{i}"{label}'
            if shape == "federate":
                out.append(f"DCGM_FI_DEV_GPU_UTIL{{{labels}}} 75 {stamp(at)}")
            elif shape == "dump":
                out.append(f'{{{labels.replace(",", ", ")}, __name__="DCGM_FI_DEV_GPU_UTIL"}} '
                           f"75 {stamp(at)}")
            else:
                out.append(f"DCGM_FI_DEV_GPU_UTIL{{{labels}}} 75 {int(at.timestamp())}.000")
    return [*out, "# EOF"] if shape == "openmetrics" else out


@pytest.mark.parametrize("order", ["in order", "later file first"])
def test_runs_split_across_files_lose_no_scrape_interval(db: Session, world: World,
                                                         order: str) -> None:
    gpu = world.uuids[:1]
    first = dcgm(gpu, world.start, range(0, 60), shape="dump")
    second = dcgm(gpu, world.start, range(60, 120), shape="openmetrics")
    files = [first, second] if order == "in order" else [second, first]
    bridged = [import_in(db, lines=f, fmt=Format.PROMETHEUS, reporter=ANY).bridged
               for f in files]
    assert bridged == [0, 1]
    stored = records(db, world.contract.id)
    assert sum(r.gpu_seconds for r in stored) == 119 * 60  # 00:00 to 01:59, no gap at 00:59
    assert sum(r.billable_gpu_seconds for r in stored) == 119 * 60
    again = import_in(db, lines=files[1], fmt=Format.PROMETHEUS, reporter=ANY)
    assert (again.accepted, again.bridged) == (0, 0)


def test_gpu_time_goes_to_the_contract_whose_placement_held_the_gpu(db: Session, world: World
                                                                    ) -> None:
    after = instant.instant_buy(db, org_ids={world.buyer.org_id}, now=world.start,
                                data=InstantBuy(offer_id=world.contract.offer_id, gpus=8,
                                                hours=24, start_at=world.contract.end_at))
    # Node-00's first two GPUs (placed on both contracts in turn) and one of node-01's
    # (placed on neither), over the last hour of the first contract and the first of the next.
    start = world.contract.end_at - timedelta(hours=1)
    lines = dcgm([world.uuids[0], world.uuids[1], world.uuids[8]], start, range(0, 121))
    report = import_in(db, lines=lines, fmt=Format.PROMETHEUS, reporter=ANY)
    assert report.refused == 0
    assert report.unattributed_gpu_seconds == {NOT_PLACED: 7200}
    first, second = records(db, world.contract.id), records(db, after.id)
    assert {r.gpu_uuid for r in first} == {r.gpu_uuid for r in second} == set(world.uuids[:2])
    assert sum(r.billable_gpu_seconds for r in first) == 2 * 3600
    assert sum(r.billable_gpu_seconds for r in second) == 2 * 3600
    assert [g.gpu_uuid for g in placement.placement_of(db, [after.id])[after.id]] == \
        world.uuids[:8]


def test_a_gpu_not_placed_on_the_named_contract_is_not_billed_to_it(db: Session, world: World
                                                                    ) -> None:
    label = f',contract="{world.contract.id}"'
    lines = dcgm([world.uuids[0], world.uuids[9]], world.start, range(0, 61), label=label)
    import_in(db, lines=lines, fmt=Format.PROMETHEUS, reporter=ANY)
    billed = {r.gpu_uuid: (r.billable_gpu_seconds, r.flags) for r in records(db,
                                                                           world.contract.id)}
    assert billed == {world.uuids[0]: (3600, []), world.uuids[9]: (0, ["unplaced_gpu"])}


def test_the_same_gpu_time_as_a_count_and_by_uuid_counts_once(db: Session, world: World
                                                              ) -> None:
    local = world.start.astimezone(SHANGHAI).replace(tzinfo=None)
    sacct = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES",
             f"51|contract-{world.contract.id}|{local:%Y-%m-%dT%H:%M:%S}|"
             f"{local + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}|3600|gres/gpu=8"]
    import_in(db, lines=sacct, fmt=Format.SACCT, reporter=ANY)
    import_in(db, lines=dcgm(world.uuids[:8], world.start, range(0, 121)),
              fmt=Format.PROMETHEUS, reporter=ANY)
    stored = records(db, world.contract.id)
    assert sum(r.gpu_seconds for r in stored) == 8 * 3600 + 8 * 7200
    # The first hour once (the job), the second hour from DCGM.
    assert sum(r.billable_gpu_seconds for r in stored) == 8 * 7200
    assert {tuple(r.flags) for r in stored if r.gpu_uuid and r.started_at == world.start} == {
        ("duplicate_interval",)}


def test_usage_from_the_future_is_refused_naming_the_field(db: Session, world: World) -> None:
    now = utcnow()
    soon, late = now + timedelta(minutes=2), now + timedelta(minutes=30)
    fmt = "%Y-%m-%dT%H:%M:%S%z"
    sacct = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES",
             f"1|contract-{world.contract.id}|{now - timedelta(hours=1):{fmt}}|{late:{fmt}}|"
             "3600|gres/gpu=1",
             f"2|contract-{world.contract.id}|{now - timedelta(hours=1):{fmt}}|{soon:{fmt}}|"
             "3600|gres/gpu=1"]
    report = import_in(db, lines=sacct, fmt=Format.SACCT, reporter=ANY)
    assert [(e.line, e.field) for e in report.rejected] == [(2, "End")]
    assert "in the future" in report.rejected[0].reason and report.accepted == 1
    samples = dcgm(world.uuids[:1], now - timedelta(minutes=1), range(0, 40))
    report = import_in(db, lines=samples, fmt=Format.PROMETHEUS, reporter=ANY)
    assert {e.field for e in report.rejected} == {"timestamp"}
    jsonl = [f'{{"contract_id": {world.contract.id}, "gpus": 1, '
             f'"start": "{now.isoformat()}", "end": "{late.isoformat()}"}}']
    report = import_in(db, lines=jsonl, fmt=Format.JSON, reporter=ANY)
    assert [(e.line, e.field) for e in report.rejected] == [(1, "end")]
