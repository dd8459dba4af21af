"""A week of realistic usage files for the demo (pure): Slurm sacct, DCGM scrapes, JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

SCRAPE_S = 300


def sacct_lines(contract_id: int, local_start: datetime, days: int, gpus: int) -> list[str]:
    """A training job on every GPU each night and day, then an evaluation job, in the
    cluster's local time (no offset, as sacct prints it); steps are included as sacct
    lists them."""
    out = ["JobID|Account|Start|End|ElapsedRaw|AllocTRES"]
    for d in range(days):
        day = (local_start + timedelta(days=d)).replace(tzinfo=None)
        jobs = [(f"{7100 + d * 10}", day + timedelta(hours=1), timedelta(hours=19), gpus),
                (f"{7101 + d * 10}", day + timedelta(hours=20, minutes=30),
                 timedelta(hours=3), max(gpus // 2, 1))]
        for job, start, length, n in jobs:
            end = start + length
            tres = f"billing={n * 8},cpu={n * 8},gres/gpu={n},mem={n * 64}G,node={max(n // 8, 1)}"
            seconds = int(length.total_seconds())
            row = f"|{start:%Y-%m-%dT%H:%M:%S}|{end:%Y-%m-%dT%H:%M:%S}|{seconds}"
            out.append(f"{job}|contract-{contract_id}{row}|{tres}")
            out.append(f"{job}.batch|{row}|cpu=8,gres/gpu={n},mem=64G,node=1")
    return out


def prometheus_lines(uuids: list[str], start: datetime, days: int) -> list[str]:
    """DCGM-exporter scrapes every 5 minutes, with timestamps; the GPUs were away for two
    hours of maintenance on the fourth day."""
    out = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
           "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    first = int(start.timestamp())
    gap = (first + 3 * 86400 + 10 * 3600, first + 3 * 86400 + 12 * 3600)
    for t in range(first, first + days * 86400 + 1, SCRAPE_S):
        if gap[0] < t < gap[1]:
            continue
        for i, uuid in enumerate(uuids):
            util = 55 + (i * 7 + t // SCRAPE_S * 3) % 45
            out.append(f'DCGM_FI_DEV_GPU_UTIL{{gpu="{i % 8}",UUID="{uuid}",device="nvidia{i % 8}",'
                       f'modelName="NVIDIA H20",Hostname="node-{i // 8:02d}"}} {util} {t * 1000}')
    return out


def json_lines(contract_id: int, local_start: datetime, days: int, gpus: int) -> list[str]:
    """One record a day per node of eight: 22 hours of the day, utilisation reported."""
    out = []
    for d in range(days):
        day = local_start + timedelta(days=d)
        for node in range(max(gpus // 8, 1)):
            out.append(json.dumps({
                "contract_id": contract_id, "ref": f"day-{d}-node-{node}",
                "start": day.isoformat(), "end": (day + timedelta(hours=22)).isoformat(),
                "gpus": min(8, gpus), "utilisation_pct": f"{71 + d * 2}.50"}))
    return out
