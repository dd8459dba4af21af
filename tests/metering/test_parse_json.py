"""JSON Lines usage: counts and named GPUs; bad lines named by line and field."""

from __future__ import annotations

import json

from suanli.metering.parse_json import parse
from suanli.metering.rows import Source


def _line(**fields: object) -> str:
    base: dict[str, object] = {"contract_id": 5, "start": "2026-12-01T08:00:00+08:00",
                               "end": "2026-12-01T10:00:00+08:00"}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None})


def test_counts_and_named_gpus() -> None:
    text = "\n".join([
        _line(gpus=4, ref="job-1"),
        "",
        _line(gpu_uuids=["GPU-a", "GPU-b"]),
        _line(gpus=2, gpu_seconds=3600, utilisation_pct="55.5"),
    ])
    parsed = parse(text)
    assert parsed.errors == []
    count, uuid_a, uuid_b, partial = parsed.rows
    assert (count.line, count.source, count.source_ref) == (1, Source.JSON, "job-1")
    assert (count.gpus, count.gpu_seconds) == (4, 4 * 7200)
    assert (uuid_a.gpu_uuid, uuid_b.gpu_uuid, uuid_a.line) == ("GPU-a", "GPU-b", 3)
    assert uuid_a.source_ref == "2026-12-01T00:00:00Z/2026-12-01T02:00:00Z"
    assert uuid_a.gpu_seconds == 7200
    assert (partial.gpu_seconds, partial.utilisation_pct) == (3600, 55.5)


def test_bad_lines() -> None:
    lines = [
        "{not json",
        _line(gpus=4, start="2026-12-01T08:00:00"),
        _line(gpus=4, end="2026-12-01T07:00:00+08:00"),
        _line(),
        _line(gpus=1, gpu_uuids=["GPU-a"]),
        _line(gpu_uuids=["GPU-a", "GPU-a"]),
        _line(gpus=1, gpu_seconds=99999),
        _line(gpus=0),
        _line(gpus=1, colour="red"),
        _line(gpu_uuids=["GPU-a"], gpu_seconds=5),
        _line(contract_id="five", gpus=1),
    ]
    parsed = parse("\n".join(lines))
    assert parsed.rows == []
    fields = {e.line: e.field for e in parsed.errors}
    assert fields == {1: None, 2: "start", 3: "end", 4: "gpus", 5: "gpus", 6: "gpu_uuids",
                      7: "gpu_seconds", 8: "gpus", 9: "colour", 10: "gpu_seconds",
                      11: "contract_id"}
    reasons = {e.line: e.reason for e in parsed.errors}
    assert "JSON" in reasons[1]
    assert "timezone" in reasons[2]
    assert reasons[3] == "end must be after start"


def test_records_of_a_cluster_as_the_agent_sends_them() -> None:
    agent = json.dumps({"cluster_id": 12, "gpu_uuids": ["GPU-a", "GPU-b"],
                        "start": "2026-12-01T00:00:00+00:00", "end": "2026-12-01T00:05:00+00:00",
                        "ref": "gn001:2026-12-01T00:00:00Z"})
    parsed = parse(agent)
    assert parsed.errors == []
    assert [(r.cluster_id, r.contract_id, r.gpu_uuid) for r in parsed.rows] == [
        (12, None, "GPU-a"), (12, None, "GPU-b")]
    both = _line(cluster_id=12, gpu_uuids=["GPU-a"])
    neither = _line(contract_id=None, gpu_uuids=["GPU-a"])
    counted = _line(contract_id=None, cluster_id=12, gpus=2)
    fields = [e.field for e in parse("\n".join([both, neither, counted])).errors]
    assert fields == ["cluster_id", "cluster_id", "gpus"]
