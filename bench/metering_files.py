"""Real-size usage files for `bench/metering.py --real-size`, written line by line to disk.

* `write_sacct`: a raw `sacct --allusers --duplicates --parsable2` export of a month on a
  64-GPU contract: plain jobs with their `.batch`, `.extern` and `.0` steps, array jobs whose
  tasks carry `.batch` and `.extern` steps and a pending placeholder (`j_[5-8]`), and now and
  then a job cancelled before it started. Local times without an offset, as sacct prints them.
* `write_dcgm`: a month of one-minute DCGM-exporter samples for 64 GPUs, as repeated
  federation scrapes (every label dcgm-exporter and Prometheus put on a sample).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from suanli.kit.timeutil import SHANGHAI

GPUS = 64
HEADER = ("JobID|JobIDRaw|JobName|Partition|Account|User|State|ExitCode|Start|End|"
          "ElapsedRaw|AllocTRES|NodeList")
SLOT = timedelta(minutes=9)  # each GPU lane runs one allocation per slot
RUN = timedelta(minutes=7)


def uuid_of(lane: int) -> str:
    return f"GPU-{lane:08x}-9b1e-4f0a-8c6d-2e1f3a4b{lane:04x}"


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")


def _sacct_lines(contract_id: int, t0: datetime) -> Iterator[str]:
    """Allocations one after another on 64 one-GPU lanes, with their steps."""
    account = f"contract-{contract_id}"
    tres = "billing=8,cpu=8,gres/gpu:h20=1,gres/gpu=1,mem=120G,node=1"
    step_tres = "cpu=8,gres/gpu:h20=1,gres/gpu=1,mem=120G,node=1"
    alloc, job = 0, 1000
    while True:
        job += 1
        if job % 50 == 0:  # cancelled while pending: no start, no allocation
            yield (f"{job}|{job}|sweep|gpu|{account}|lwang|CANCELLED by 1003|0:0|None|"
                   f"{_local(t0 + SLOT * (alloc // GPUS))}|0||None assigned")
            continue
        tasks = 4 if job % 5 == 0 else 1
        for task in range(1, tasks + 1):
            lane, slot = alloc % GPUS, alloc // GPUS
            alloc += 1
            start = t0 + SLOT * slot + timedelta(seconds=lane)
            a, b = _local(start), _local(start + RUN)
            name = f"{job}_{task}" if tasks > 1 else str(job)
            node = f"gn{lane // 8 + 1:03d}"
            common = f"|{a}|{b}|{int(RUN.total_seconds())}"
            yield (f"{name}|{job + task}|train|gpu|{account}|zchen|COMPLETED|0:0{common}|"
                   f"{tres}|{node}")
            yield f"{name}.batch|{job + task}|batch||{account}||COMPLETED|0:0{common}|" \
                  f"{step_tres}|{node}"
            yield f"{name}.extern|{job + task}|extern||{account}||COMPLETED|0:0{common}|" \
                  f"{tres}|{node}"
            if tasks == 1:
                yield f"{name}.0|{job + task}|python||{account}||COMPLETED|0:0{common}|" \
                      f"{step_tres}|{node}"
        if tasks > 1:
            yield (f"{job}_[5-8]|{job}|train|gpu|{account}|zchen|PENDING|0:0|Unknown|"
                   "Unknown|0||None assigned")


def write_sacct(path: Path, contract_id: int, t0: datetime, lines: int) -> int:
    """`lines` lines (the header first); returns the GPU allocations written."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n, line in enumerate(_sacct_lines(contract_id, t0), start=2):
            out.write(line + "\n")
            if n >= lines:
                break
    return lines


def _labels(lane: int) -> str:
    node = lane // 8 + 1
    return (f'DCGM_FI_DRIVER_VERSION="550.54.15",Hostname="gn{node:03d}",'
            f'UUID="{uuid_of(lane)}",device="nvidia{lane % 8}",gpu="{lane % 8}",'
            f'instance="10.0.3.{node}:9400",job="dcgm",modelName="NVIDIA H20",'
            f'pci_bus_id="00000000:{0x18 + lane % 8:02X}:00.0"')


def write_dcgm(path: Path, t0: datetime, days: int) -> int:
    """One scrape a minute of 64 GPUs for `days` days; returns the sample lines."""
    labels = [_labels(lane) for lane in range(GPUS)]
    first = int(t0.timestamp())
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for minute in range(days * 1440):
            at = (first + minute * 60) * 1000
            out.write("# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n")
            out.write("".join(f"DCGM_FI_DEV_GPU_UTIL{{{labels[lane]}}} "
                              f"{(lane * 7 + minute) % 101} {at}\n" for lane in range(GPUS)))
            written += GPUS
    return written
