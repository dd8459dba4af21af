"""DCGM-exporter scrapes in the Prometheus text exposition format (pure).

Each sample line is read with prometheus-client's own parser (one line at a time, so that a
bad line is refused with its number and the rest still count). Only the gauge
`DCGM_FI_DEV_GPU_UTIL` matters: labels `UUID` (required), `Hostname`, `gpu`, `modelName`;
every sample needs a timestamp (`... 87 1764547200000`), as `promtool tsdb dump` or a
federation scrape writes them. Other metrics are passed over.

**From samples to GPU time.** Consecutive samples of one GPU at most `max_gap_s` apart
(default 300 s) mean the GPU was allocated, and so delivered, for the time between them; a
longer gap ends a run (the GPU was away). A GPU counts as delivered while it is allocated to
the contract *whatever its utilisation*: an idle rented GPU is the renter's choice, exactly
as with a Slurm allocation. Utilisation (the mean of each pair's two samples, weighted by
time) is kept on the record for reports. Runs are cut at the hour, so one record is at most
one GPU-hour and every record falls within a settlement day.

**Which contract.** A `contract` label (`contract-17` or `17`), or DCGM's `hpc_job` label
when the job id is `contract-<id>`, names the contract. Without one, the importer finds the
contract through the GPU's attested cluster (the contract running on it at the time).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from prometheus_client.parser import text_string_to_metric_families

from suanli.metering.rows import MAX_UUID, Parsed, RowError, Source, UsageRow, contract_from_account

METRIC = "DCGM_FI_DEV_GPU_UTIL"
CONTRACT_LABELS = ("contract", "hpc_job")
MAX_GAP_S = 300
BUCKET_S = 3600


@dataclass(frozen=True, slots=True)
class _Sample:
    at: int  # seconds since the epoch
    util: float
    line: int
    hostname: str | None


@dataclass(slots=True)
class _Segment:
    start: int
    end: int
    weighted: float  # utilisation x seconds
    line: int
    hostname: str | None


Key = tuple[str, int | None]


def parse(text: str | Iterable[str], *, max_gap_s: int = MAX_GAP_S,
          bucket_s: int = BUCKET_S) -> Parsed:
    """Usage rows (one per GPU, run and hour) and row errors of a scrape file."""
    lines = text.splitlines() if isinstance(text, str) else (ln.rstrip("\r\n") for ln in text)
    out = Parsed()
    series: dict[Key, list[_Sample]] = defaultdict(list)
    for number, line in enumerate(lines, start=1):
        out.lines = number
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith((METRIC + "{", METRIC + " ")):
            out.skipped += 1  # another metric of the exporter
            continue
        _read(stripped, number, series, out)
    for (uuid, contract), samples in sorted(series.items(),
                                            key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        _runs(uuid, contract, _unique(samples, uuid, out), max_gap_s, bucket_s, out)
    out.rows.sort(key=lambda r: (r.line, r.started_at))
    return out


def _read(line: str, number: int, series: dict[Key, list[_Sample]], out: Parsed) -> None:
    try:
        families = list(text_string_to_metric_families(line + "\n"))
        sample = families[0].samples[0]
    except (ValueError, IndexError, KeyError) as exc:
        out.errors.append(RowError(number, f"not a valid exposition line: {exc}"))
        return
    labels, value, stamp = sample.labels, sample.value, sample.timestamp
    uuid = labels.get("UUID", "").strip()
    problem = _problem(uuid, value, stamp)
    if problem is not None:
        out.errors.append(RowError(number, problem[1], field=problem[0]))
        return
    contract = _contract(labels)
    if isinstance(contract, str):
        out.errors.append(RowError(number, contract, field="contract"))
        return
    at = round(stamp if isinstance(stamp, float | int) else float(str(stamp)))
    series[(uuid, contract)].append(_Sample(at, float(value), number, labels.get("Hostname")))


def _problem(uuid: str, value: float, stamp: object) -> tuple[str, str] | None:
    if not uuid:
        return "UUID", "the sample has no UUID label"
    if len(uuid) > MAX_UUID:
        return "UUID", f"longer than {MAX_UUID} characters"
    if stamp is None:
        return "timestamp", "the sample has no timestamp; export scrapes with timestamps"
    if math.isnan(value) or not 0 <= value <= 100:
        return "value", f"utilisation {value} is not a percentage in 0-100"
    return None


def _contract(labels: dict[str, str]) -> int | str | None:
    """The contract a label names, None when none does, or why the label is wrong."""
    text = labels.get("contract")
    if text is not None:
        found = int(text) if text.isdigit() else contract_from_account(text)
        return found if found is not None else f"{text!r} does not name a contract"
    job = labels.get("hpc_job")
    return contract_from_account(job) if job else None


def _unique(samples: list[_Sample], uuid: str, out: Parsed) -> list[_Sample]:
    samples.sort(key=lambda s: (s.at, s.line))
    kept: list[_Sample] = []
    for sample in samples:
        if kept and kept[-1].at == sample.at:
            out.errors.append(RowError(sample.line, f"a second sample for {uuid} at the same "
                                                    f"time (line {kept[-1].line})",
                                       field="timestamp"))
            continue
        kept.append(sample)
    return kept


def _runs(uuid: str, contract: int | None, samples: list[_Sample], max_gap_s: int,
          bucket_s: int, out: Parsed) -> None:
    current: _Segment | None = None
    for left, right in pairwise(samples):
        if right.at - left.at > max_gap_s:
            _emit(current, uuid, contract, out)
            current = None
            continue
        util = (left.util + right.util) / 2
        start = left.at
        while start < right.at:
            end = min(right.at, (start // bucket_s + 1) * bucket_s)
            if current is not None and current.end == start and start % bucket_s != 0:
                current.end, current.weighted = end, current.weighted + util * (end - start)
            else:
                _emit(current, uuid, contract, out)
                current = _Segment(start, end, util * (end - start), left.line, left.hostname)
            start = end
    _emit(current, uuid, contract, out)
    if len(samples) == 1:
        out.skipped += 1  # a lone sample spans no time


def _emit(segment: _Segment | None, uuid: str, contract: int | None, out: Parsed) -> None:
    if segment is None:
        return
    seconds = segment.end - segment.start
    start = datetime.fromtimestamp(segment.start, UTC)
    end = datetime.fromtimestamp(segment.end, UTC)
    out.rows.append(UsageRow(
        line=segment.line, source=Source.PROMETHEUS,
        source_ref=f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
        contract_id=contract, gpu_uuid=uuid, gpus=1, started_at=start, ended_at=end,
        gpu_seconds=seconds, utilisation_pct=round(segment.weighted / seconds, 2),
        hostname=segment.hostname))
