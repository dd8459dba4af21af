"""Slurm accounting exports (`sacct --parsable2`), read as a stream (pure).

Export with, for example::

    SLURM_TIME_FORMAT=%FT%T%z sacct --allusers --duplicates --parsable2 \\
        --accounts=contract-17,contract-18 --starttime=2026-12-01 --endtime=2026-12-02 \\
        --format=JobID,JobIDRaw,Account,State,Start,End,ElapsedRaw,AllocTRES,NodeList

Conventions:

* The first line is the header; the six columns JobID, Account, Start, End, ElapsedRaw and
  AllocTRES may come in any order, among any others.
* The **Account** names the contract: `contract-<id>` (one Slurm account per contract, e.g.
  `sacctmgr add account contract-17`). Rows of other accounts are refused.
* Every job allocation, array task (`4243_1`) and GPU component of a heterogeneous job
  (`4270+1`) is a usage of its own, even when another has the same size, start and end.
  A requeued job listed by `--duplicates` once per run bills each run: the record's
  reference is the JobID and its start (`4250@2026-12-01T04:00:30Z`).
* Rows that every real export has are passed over and counted, not refused: job steps
  (`4242.batch`, `4242.extern`, `4242.0`; their allocation's line bills), pending array
  placeholders (`4243_[4-8%2]`), jobs that never started (`Start=None` or `Unknown`: pending,
  or cancelled before they started), jobs still running (`End=Unknown`: the export after
  they end bills them), jobs that ran no time (Start = End), and CPU-only components of
  heterogeneous jobs. So `--all-or-nothing` works on a raw export.
* **Start** and **End** without a UTC offset are the cluster's local time: `tz` (one zone,
  or a function of the contract id). `SLURM_TIME_FORMAT=%FT%T%z` prints the offset, which
  makes the export unambiguous.
* GPUs are `gres/gpu=N` in **AllocTRES** (typed entries such as `gres/gpu:h100=N` are
  summed when the untyped total is absent). GPU-seconds = GPUs x **ElapsedRaw**; ElapsedRaw
  may be shorter than End - Start (a suspended job), never longer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo

from suanli.kit.timeutil import SHANGHAI, as_utc
from suanli.metering.rows import (
    MAX_REF,
    STAMP,
    Item,
    Parsed,
    RowError,
    Source,
    Tally,
    UsageRow,
    check_span,
    contract_from_account,
)

COLUMNS = ("JobID", "Account", "Start", "End", "ElapsedRaw", "AllocTRES")
NOT_A_TIME = {"", "unknown", "none", "n/a"}
SLACK_S = 1  # ElapsedRaw and End - Start are rounded separately by Slurm
PENDING_ARRAY = re.compile(r"^\d+_\[.*\]$")
HET_COMPONENT = re.compile(r"^\d+\+\d+$")

# Why rows were passed over (the import summary shows these words).
STEPS = "job steps (their allocation bills)"
STEPS_ALONE = "job steps whose allocation is not in the file"
PENDING_TASKS = "pending array placeholders"
NEVER_STARTED = "jobs that never started (pending, or cancelled before the start)"
RUNNING = "jobs still running (billed by the export after they end)"
NO_TIME = "jobs that ran no time"
CPU_ONLY = "CPU-only components of heterogeneous jobs"

Zone = tzinfo | Callable[[int], tzinfo]


def parse(text: str | Iterable[str], *, tz: Zone = SHANGHAI) -> Parsed:
    """Rows and row errors of a whole export (small inputs; the importer streams)."""
    parsed = Parsed()
    return parsed.take(stream(text, parsed, tz=tz))


def stream(text: str | Iterable[str], tally: Tally, *, tz: Zone = SHANGHAI) -> Iterator[Item]:
    """Rows and row errors one by one; a bad header refuses the whole file."""
    lines = text.splitlines() if isinstance(text, str) else (ln.rstrip("\r\n") for ln in text)
    index: dict[str, int] | None = None
    jobs: set[str] = set()  # allocations seen, so that their steps are known
    for number, line in enumerate(lines, start=1):
        tally.lines = number
        if not line.strip():
            continue
        fields = line.split("|")
        if index is None:
            index = _header(fields)
            if index is None:
                yield RowError(number, f"missing columns {', '.join(_missing(fields))}; export "
                                       f"with sacct --parsable2 --format={','.join(COLUMNS)}",
                               field="header")
                return
            width = max(index.values()) + 1
            continue
        if len(fields) < width:
            yield RowError(number, f"expected at least {width} fields separated by |, "
                                   f"found {len(fields)}")
            continue
        item = _row({c: fields[i].strip() for c, i in index.items()}, number, tz, jobs, tally)
        if item is not None:
            yield item
    if index is None:
        yield RowError(1, "empty file: expected a header line", field="header")


def _missing(fields: list[str]) -> list[str]:
    names = {f.strip() for f in fields}
    return [c for c in COLUMNS if c not in names]


def _header(fields: list[str]) -> dict[str, int] | None:
    names = [f.strip() for f in fields]
    if _missing(fields):
        return None
    return {c: names.index(c) for c in COLUMNS}


def _row(value: dict[str, str], number: int, tz: Zone, jobs: set[str], tally: Tally
         ) -> Item | None:
    job = value["JobID"]
    if not job:
        return RowError(number, "is empty", field="JobID")
    if "." in job:
        tally.passed[STEPS if job.split(".", 1)[0] in jobs else STEPS_ALONE] += 1
        return None
    jobs.add(job)
    passed = _passed_over(job, value)
    if passed is not None:
        tally.passed[passed] += 1
        return None
    try:
        return _usage(value, number, tz)
    except _Refused as exc:
        return RowError(number, exc.reason, field=exc.field)


def _passed_over(job: str, value: dict[str, str]) -> str | None:
    """Why an allocation line is normal but bills nothing, or None."""
    if PENDING_ARRAY.match(job):
        return PENDING_TASKS
    if value["Start"].lower() in NOT_A_TIME:
        return NEVER_STARTED
    if value["End"].lower() in NOT_A_TIME:
        return RUNNING
    if value["Start"] == value["End"]:
        return NO_TIME
    if HET_COMPONENT.match(job) and gpus_of(value["AllocTRES"]) == 0:
        return CPU_ONLY
    return None


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _usage(value: dict[str, str], number: int, tz: Zone) -> UsageRow:
    contract = contract_from_account(value["Account"])
    if contract is None:
        raise _Refused("Account", f"{value['Account']!r} does not name a contract "
                                  "(expected contract-<id>)")
    zone = tz if isinstance(tz, tzinfo) else tz(contract)
    start, end = _time(value["Start"], zone, "Start"), _time(value["End"], zone, "End")
    if (problem := check_span(start, end)) is not None:
        raise _Refused("End", problem)
    elapsed = _int(value["ElapsedRaw"], "ElapsedRaw")
    span = int((end - start).total_seconds())
    if elapsed > span + SLACK_S:
        raise _Refused("ElapsedRaw", f"{elapsed} s is longer than End - Start ({span} s)")
    gpus = gpus_of(value["AllocTRES"])
    if gpus <= 0:
        raise _Refused("AllocTRES", "allocates no GPUs (no gres/gpu=N)")
    ref = f"{value['JobID'][:MAX_REF - 21]}@{start:{STAMP}}"
    return UsageRow(line=number, source=Source.SACCT, source_ref=ref, contract_id=contract,
                    gpu_uuid=None, gpus=gpus, started_at=start, ended_at=end,
                    gpu_seconds=gpus * min(elapsed, span))


def _time(text: str, tz: tzinfo, field: str) -> datetime:
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
