"""Slurm accounting exports (`sacct --parsable2`).

Export with `sacct --parsable2 --allocations --format=JobID,Account,Start,End,ElapsedRaw,AllocTRES`.

Conventions (pure; no database):

* The first line is the header; the six columns may come in any order, among others.
* The **Account** names the contract: `contract-<id>` (create one Slurm account per
  contract, e.g. `sacctmgr add account contract-17`). Rows of other accounts are refused.
* Only job allocations count. Job steps (`4242.batch`, `4242.extern`, `4242.0`) repeat
  their allocation's resources, so they are passed over (counted as skipped, not refused).
* **Start** and **End** are the cluster's local time (Asia/Shanghai by default) unless they
  carry a UTC offset. A job still running (`End=Unknown`) is refused until it has ended.
* GPUs are `gres/gpu=N` in **AllocTRES** (typed entries such as `gres/gpu:h100=N` are
  summed when the untyped total is absent). GPU-seconds = GPUs x **ElapsedRaw**; ElapsedRaw
  may be shorter than End - Start (a suspended job), never longer.
* The JobID is the record's source reference: importing the same export twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from suanli.kit.timeutil import SHANGHAI, as_utc
from suanli.metering.rows import (
    Parsed,
    RowError,
    Source,
    UsageRow,
    check_span,
    contract_from_account,
)

COLUMNS = ("JobID", "Account", "Start", "End", "ElapsedRaw", "AllocTRES")
NOT_A_TIME = {"", "unknown", "none", "n/a"}
SLACK_S = 1  # ElapsedRaw and End - Start are rounded separately by Slurm


def parse(text: str | Iterable[str], *, tz: tzinfo = SHANGHAI) -> Parsed:
    """Rows and row errors of an sacct export; a bad header refuses the whole file."""
    lines = text.splitlines() if isinstance(text, str) else (ln.rstrip("\r\n") for ln in text)
    out = Parsed()
    index: dict[str, int] | None = None
    for number, line in enumerate(lines, start=1):
        out.lines = number
        if not line.strip():
            continue
        fields = line.split("|")
        if index is None:
            index = _header(fields, number, out)
            if index is None:
                return out
            continue
        width = max(index.values()) + 1
        if len(fields) < width:
            out.errors.append(RowError(number, f"expected at least {width} fields separated "
                                               f"by |, found {len(fields)}"))
            continue
        _row(fields, index, number, tz, out)
    if index is None:
        out.errors.append(RowError(1, "empty file: expected a header line", field="header"))
    return out


def _header(fields: list[str], number: int, out: Parsed) -> dict[str, int] | None:
    names = [f.strip() for f in fields]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        out.errors.append(RowError(number, f"missing columns {', '.join(missing)}; export with "
                                           f"sacct --parsable2 --format={','.join(COLUMNS)}",
                                   field="header"))
        return None
    return {c: names.index(c) for c in COLUMNS}


def _row(fields: list[str], index: dict[str, int], number: int, tz: tzinfo,
         out: Parsed) -> None:
    value = {c: fields[i].strip() for c, i in index.items()}
    job = value["JobID"]
    if not job:
        out.errors.append(RowError(number, "is empty", field="JobID"))
        return
    if "." in job:
        out.skipped += 1  # a job step: its allocation's line already counts
        return
    try:
        out.rows.append(_usage(value, number, tz))
    except _Refused as exc:
        out.errors.append(RowError(number, exc.reason, field=exc.field))


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _usage(value: dict[str, str], number: int, tz: tzinfo) -> UsageRow:
    contract = contract_from_account(value["Account"])
    if contract is None:
        raise _Refused("Account", f"{value['Account']!r} does not name a contract "
                                  "(expected contract-<id>)")
    start, end = _time(value["Start"], tz, "Start"), _time(value["End"], tz, "End")
    if (problem := check_span(start, end)) is not None:
        raise _Refused("End", problem)
    elapsed = _int(value["ElapsedRaw"], "ElapsedRaw")
    span = int((end - start).total_seconds())
    if elapsed > span + SLACK_S:
        raise _Refused("ElapsedRaw", f"{elapsed} s is longer than End - Start ({span} s)")
    gpus = gpus_of(value["AllocTRES"])
    if gpus <= 0:
        raise _Refused("AllocTRES", "allocates no GPUs (no gres/gpu=N)")
    return UsageRow(line=number, source=Source.SACCT, source_ref=value["JobID"][:200],
                    contract_id=contract, gpu_uuid=None, gpus=gpus, started_at=start,
                    ended_at=end, gpu_seconds=gpus * min(elapsed, span))


def _time(text: str, tz: tzinfo, field: str) -> datetime:
    if text.lower() in NOT_A_TIME:
        reason = "the job has not ended" if field == "End" else "the job never started"
        raise _Refused(field, f"{text or 'empty'}: {reason}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _Refused(field, f"{text!r} is not a time such as 2026-12-01T08:00:00") from None
    return as_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=tz))


def _int(text: str, field: str) -> int:
    if not text.isdigit():
        raise _Refused(field, f"{text!r} is not a whole number of seconds")
    return int(text)


def gpus_of(tres: str) -> int:
    """GPUs in an AllocTRES string: `gres/gpu=N`, else the sum of `gres/gpu:<type>=N`."""
    total: int | None = None
    typed = 0
    for item in tres.split(","):
        key, _, count = item.strip().partition("=")
        if not count.isdigit():
            continue
        if key == "gres/gpu":
            total = int(count)
        elif key.startswith("gres/gpu:"):
            typed += int(count)
    return total if total is not None else typed
