"""Importing usage into the database: reconciliation, natural keys, scoping, bad rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.kit.errors import NotFound, ValidationFailed
from suanli.market.contracts import cancel_contract
from suanli.metering import service
from suanli.metering.attribution import NOT_ATTESTED
from suanli.metering.importer import import_in
from suanli.metering.models import Channel, UsageBatch, UsageRecord
from suanli.metering.parse_json import UsageRecordIn
from suanli.metering.rows import Format
from tests.settlement.world import World, build_world, org_maker

ANY = service.Reporter(name="test", org_ids=None)


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def records(db: Session, contract_id: int) -> list[UsageRecord]:
    stmt = select(UsageRecord).where(UsageRecord.contract_id == contract_id)
    return list(db.execute(stmt.order_by(UsageRecord.id)).scalars())


def sacct(world: World, *rows: tuple[str, int, int, int]) -> str:
    """(job, start hour, hours, gpus) after the contract's start, in sacct's format."""
    lines = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES"]
    for job, start_h, hours, gpus in rows:
        start = world.start + timedelta(hours=start_h)
        end = start + timedelta(hours=hours)
        lines.append(f"{job}|contract-{world.contract.id}|{start.isoformat()}|"
                     f"{end.isoformat()}|{hours * 3600}|cpu=8,gres/gpu={gpus}")
    return "\n".join(lines)


def test_sacct_rows_land_with_flags_and_reimport_adds_nothing(db: Session, world: World
                                                               ) -> None:
    text = sacct(world, ("1", 0, 10, 8), ("2", 5, 2, 4), ("3", 47, 2, 8))
    first = import_in(db, lines=text.splitlines(), fmt=Format.SACCT, reporter=ANY)
    assert (first.accepted, first.duplicates, first.rejected) == (3, 0, [])
    stored = {r.source_ref.split("@")[0]: r for r in records(db, world.contract.id)}
    assert stored["1"].billable_gpu_seconds == 8 * 10 * 3600 and stored["1"].flags == []
    # Job 2 overlaps job 1's 8 GPUs: all of its time is above the contracted 8.
    assert stored["2"].flags == ["above_contracted_gpus"]
    assert stored["2"].billable_gpu_seconds == 0
    # Job 3 runs an hour past the contract's end: half of it bills.
    assert stored["3"].flags == ["outside_window"]
    assert stored["3"].billable_gpu_seconds == 8 * 3600
    again = import_in(db, lines=text.splitlines(), fmt=Format.SACCT, reporter=ANY)
    assert (again.accepted, again.duplicates) == (0, 3)
    assert len(records(db, world.contract.id)) == 3


def test_prometheus_gpus_map_to_the_contract_through_the_attested_cluster(
        db: Session, world: World) -> None:
    t0 = int(world.start.timestamp()) + 3600
    lines = []
    for uuid in [*world.uuids[:8], "GPU-never-attested"]:
        lines += [f'DCGM_FI_DEV_GPU_UTIL{{gpu="0",UUID="{uuid}",Hostname="n"}} 80 '
                  f"{(t0 + s) * 1000}" for s in range(0, 3601, 60)]
    lines.append(f'DCGM_FI_DEV_GPU_UTIL{{UUID="GPU-stranger",contract="{world.contract.id}"}} '
                 f"50 {t0 * 1000}")
    lines.append(f'DCGM_FI_DEV_GPU_UTIL{{UUID="GPU-stranger",contract="{world.contract.id}"}} '
                 f"50 {(t0 + 60) * 1000}")
    report = import_in(db, lines=lines, fmt=Format.PROMETHEUS, reporter=ANY)
    assert report.accepted == 9 and report.rejected == []
    # A GPU no cluster attested is billed to no one: counted, not refused.
    assert report.unattributed_gpu_seconds == {NOT_ATTESTED: 3600}
    stored = records(db, world.contract.id)
    named = [r for r in stored if r.gpu_uuid.startswith("GPU-t-")]
    assert len(named) == 8 and all(r.billable_gpu_seconds == 3600 for r in named)
    assert all(r.utilisation_pct == 80 for r in named)
    (stranger,) = [r for r in stored if r.gpu_uuid == "GPU-stranger"]
    assert stranger.flags == ["unattested_gpu"] and stranger.billable_gpu_seconds == 0


def test_rows_of_unknown_or_foreign_contracts_are_refused(db: Session, world: World) -> None:
    other = service.Reporter(name="other", org_ids=frozenset({world.buyer.org_id}))
    text = sacct(world, ("1", 0, 1, 8)) + "\n9|contract-999999|2026-01-01T00:00:00|" \
        "2026-01-01T01:00:00|3600|gres/gpu=1"
    report = import_in(db, lines=text.splitlines(), fmt=Format.SACCT, reporter=other)
    assert report.accepted == 0
    assert {(e.line, e.field) for e in report.rejected} == {(2, "contract_id"),
                                                             (3, "contract_id")}
    assert records(db, world.contract.id) == []


def test_a_cancelled_contract_takes_no_usage(db: Session, world: World) -> None:
    cancel_contract(db, contract_id=world.contract.id, buyer_ids=None,
                    now=world.start - timedelta(minutes=30))
    report = import_in(db, lines=sacct(world, ("1", 0, 1, 8)).splitlines(),
                       fmt=Format.SACCT, reporter=ANY)
    assert report.accepted == 0 and "cancelled" in report.rejected[0].reason


def test_the_api_service_stores_all_or_nothing(db: Session, world: World) -> None:
    me = service.Reporter(name="p", org_ids=frozenset({world.provider.org_id}),
                          organisation_id=world.provider.org_id)
    good = UsageRecordIn.model_validate({
        "contract_id": world.contract.id, "ref": "job-1", "gpus": 2,
        "start": world.start.isoformat(), "end": (world.start + timedelta(hours=1)).isoformat()})
    outside = good.model_copy(update={"ref": "job-2", "contract_id": 424242})
    savepoint = db.begin_nested()
    with pytest.raises(NotFound) as caught:
        service.report_usage(db, records=[good, outside], reporter=me, run="r1")
    assert caught.value.field == "records[1].contract_id"
    savepoint.rollback()
    assert records(db, world.contract.id) == []
    report = service.report_usage(db, records=[good], reporter=me, run="r2")
    assert (report.accepted, report.duplicates) == (1, 0)
    assert service.report_usage(db, records=[good], reporter=me, run="r3").duplicates == 1
    batches = db.execute(select(func.count()).select_from(UsageBatch)
                         .where(UsageBatch.channel == Channel.API)).scalar_one()
    assert batches == 2


def test_a_bad_record_refuses_the_whole_api_report(db: Session, world: World) -> None:
    me = service.Reporter(name="p", org_ids=frozenset({world.provider.org_id}))
    base = {"contract_id": world.contract.id, "start": world.start.isoformat(),
            "end": (world.start + timedelta(hours=1)).isoformat()}
    good = UsageRecordIn.model_validate({**base, "gpus": 1, "ref": "a"})
    late = UsageRecordIn.model_validate({**base, "gpus": 1, "ref": "b"})
    cancelled = world.contract
    cancel_contract(db, contract_id=cancelled.id, buyer_ids=None,
                    now=world.start - timedelta(minutes=30))
    with pytest.raises(ValidationFailed) as caught:
        service.report_usage(db, records=[good, late], reporter=me, run="r")
    assert caught.value.field == "records[0].contract_id"
    assert len(caught.value.extra["errors"]) == 2
