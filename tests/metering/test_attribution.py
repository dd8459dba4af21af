"""Attribution of GPU time to contracts by GPU UUID and placement, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from suanli.metering.attribution import (
    NOT_ATTESTED,
    NOT_PLACED,
    OTHER_CLUSTER,
    Placed,
    attribute,
)
from suanli.metering.rows import Source, UsageRow, interval_ref

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def row(uuid: str, a: float, b: float, *, ref: str | None = None, cluster: int | None = None,
        contract: int | None = None) -> UsageRow:
    seconds = int((h(b) - h(a)).total_seconds())
    return UsageRow(7, Source.JSON, ref or interval_ref(h(a), h(b)), contract, uuid, 1, h(a),
                    h(b), seconds, 50.0, cluster_id=cluster)


PLACED = [Placed("GPU-a", 1, 3, h(0), h(10)), Placed("GPU-a", 2, 3, h(10), h(20)),
          Placed("GPU-b", 1, 3, h(0), h(10))]
ATTESTED = {"GPU-a": 3, "GPU-b": 3, "GPU-c": 3}


def test_a_gpu_interval_splits_at_the_contract_boundary() -> None:
    rows, lost = attribute([row("GPU-a", 8, 12, ref="gn001:0800")], PLACED, ATTESTED)
    assert lost == []
    assert [(r.contract_id, r.started_at, r.ended_at, r.gpu_seconds, r.source_ref)
            for r in rows] == [
        (1, h(8), h(10), 7200, "gn001:0800@2026-12-01T08:00:00Z"),
        (2, h(10), h(12), 7200, "gn001:0800@2026-12-01T10:00:00Z")]


def test_time_no_contract_held_is_unattributed() -> None:
    rows, lost = attribute([row("GPU-a", 19, 21), row("GPU-c", 0, 1), row("GPU-z", 0, 1),
                            row("GPU-b", 0, 1, cluster=4)], PLACED, ATTESTED)
    assert [(r.contract_id, r.source_ref) for r in rows] == [
        (2, interval_ref(h(19), h(20)))]
    assert [(u.gpu_uuid, u.gpu_seconds, u.reason) for u in lost] == [
        ("GPU-a", 3600, NOT_PLACED), ("GPU-c", 3600, NOT_PLACED),
        ("GPU-z", 3600, NOT_ATTESTED), ("GPU-b", 3600, OTHER_CLUSTER)]


def test_rows_naming_their_contract_pass_unchanged() -> None:
    named = row("GPU-c", 0, 1, contract=9)
    assert attribute([named], PLACED, ATTESTED) == ([named], [])
