"""DCGM-exporter samples from Prometheus files, read as a stream (pure).

Three shapes of file are read, line by line, and may even be mixed:

* Prometheus text with timestamps in milliseconds, as a federation scrape
  (`/federate?match[]=DCGM_FI_DEV_GPU_UTIL`) writes it:
  `DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-...",Hostname="gn001"} 87 1764547200000`
* `promtool tsdb dump`: the metric name is a label inside the braces, labels are sorted and
  separated by `, `, timestamps in milliseconds:
  `{Hostname="gn001", UUID="GPU-...", __name__="DCGM_FI_DEV_GPU_UTIL", gpu="0"} 87 1764547200000`
* `promtool tsdb dump-openmetrics`: OpenMetrics, timestamps in seconds, ending `# EOF`:
  `DCGM_FI_DEV_GPU_UTIL{Hostname="gn001",UUID="GPU-...",gpu="0"} 87 1764547200.000`

A timestamp with a decimal point or an exponent, or below 10^11, is in seconds; otherwise
in milliseconds. Only the gauge `DCGM_FI_DEV_GPU_UTIL` matters: labels `UUID` (required),
`Hostname`; other metrics are passed over and counted. Every sample needs a timestamp (a
raw scrape of the exporter has none: collect those with `suanli-agent collect`, or import
them through Prometheus). The samples become usage rows in `gpu_runs`.

**Which contract.** A `contract` label (`contract-17` or `17`), or DCGM's `hpc_job` label
when the job id is `contract-<id>`, names the contract. Without one, the importer attributes
the GPU's time to the contracts whose placement held that GPU at that time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator

from suanli.metering.gpu_runs import BUCKET_S, MAX_GAP_S, Sample, run
from suanli.metering.rows import MAX_UUID, Parsed, RowError, Tally, contract_from_account

METRIC = "DCGM_FI_DEV_GPU_UTIL"
IN_BRACES = f'__name__="{METRIC}"'
OTHER = "samples of other metrics"
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?P<labels>.*)\})?"
                    r"\s*(?P<value>[^\s{}]+)(?:\s+(?P<stamp>[^\s#]+))?\s*(?:#.*)?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
MS_FROM = 10**11  # a larger bare integer timestamp is in milliseconds


def parse(text: str | Iterable[str], *, max_gap_s: int = MAX_GAP_S,
          bucket_s: int = BUCKET_S) -> Parsed:
    """Usage rows (one per GPU, run and hour) and row errors of a whole file (small inputs;
    the importer streams)."""
    parsed = Parsed()
    return parsed.take(run(samples(text, parsed), parsed, max_gap_s=max_gap_s,
                           bucket_s=bucket_s))


def samples(text: str | Iterable[str], tally: Tally) -> Iterator[Sample | RowError]:
    """Samples of DCGM_FI_DEV_GPU_UTIL, and row errors, line by line."""
    lines = text.splitlines() if isinstance(text, str) else (ln.rstrip("\r\n") for ln in text)
    for number, line in enumerate(lines, start=1):
        tally.lines = number
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not (stripped.startswith((METRIC + "{", METRIC + " "))
                or (stripped.startswith("{") and IN_BRACES in stripped)):
            tally.passed[OTHER] += 1
            continue
        item = read_line(stripped, number)
        if item is not None:
            yield item
        else:
            tally.passed[OTHER] += 1


def read_line(line: str, number: int) -> Sample | RowError | None:
    """The sample of one exposition line; None when it is of another metric."""
    fast = _plain_line(line) if "\\" not in line else None
    if fast is not None:
        name, labels, value, stamp = fast
    else:
        match = SAMPLE.match(line)
        found = None if match is None else _labels(match.group("labels") or "")
        if match is None or found is None:
            return RowError(number, "not a valid exposition line (name{labels} value timestamp)")
        name, labels = match.group("name") or found.pop("__name__", ""), found
        value, stamp = match.group("value"), match.group("stamp")
    if name != METRIC:
        return None
    at = None if stamp is None else _seconds(stamp)
    if stamp is not None and at is None:
        return RowError(number, f"{stamp!r} is not a timestamp", field="timestamp")
    return sample_of(labels, _number(value), at, number)


Line = tuple[str, dict[str, str], str, str | None]


def _plain_line(line: str) -> Line | None:
    """(name, the labels that matter, value, timestamp) of a line without escapes, read with
    string methods (several times the regular expression's speed on dcgm-exporter's long
    label sets); None for anything unusual, which the regular expression then reads."""
    opening, closing = line.find("{"), line.rfind("}")
    if opening >= 0 and closing > opening:
        name, inner, tail = line[:opening].strip(), line[opening + 1:closing], line[closing + 1:]
        if inner.count('"') % 2:
            return None
    elif opening < 0 and closing < 0:
        name, _, tail = line.partition(" ")
        inner = ""
    else:
        return None
    rest = tail.split()
    if not 1 <= len(rest) <= 2:
        return None
    labels = {k: v for k in WANTED if (v := _label(inner, k)) is not None}
    name = name or labels.pop("__name__", "")
    return name, labels, rest[0], rest[1] if len(rest) == 2 else None


WANTED = ("__name__", "UUID", "Hostname", "contract", "hpc_job")


def _label(inner: str, name: str) -> str | None:
    key = name + '="'
    at = inner.find(key)
    while at > 0 and inner[at - 1] not in ", \t":
        at = inner.find(key, at + 1)
    if at < 0:
        return None
    start = at + len(key)
    end = inner.find('"', start)
    return inner[start:end] if end >= 0 else None


def sample_of(labels: dict[str, str], value: float | None, at: int | None, number: int
              ) -> Sample | RowError:
    """A GPU's utilisation sample from its labels, value and time (seconds), or why not."""
    uuid = labels.get("UUID", "").strip()
    problem = _problem(uuid, value, at)
    if problem is not None:
        return RowError(number, problem[1], field=problem[0])
    contract = _contract(labels)
    if isinstance(contract, str):
        return RowError(number, contract, field="contract")
    return Sample(uuid, contract, at or 0, float(value or 0), number, labels.get("Hostname"))


def _labels(text: str) -> dict[str, str] | None:
    """The labels inside the braces, or None when they are malformed."""
    fast = _plain_labels(text) if "\\" not in text else None
    return fast if fast is not None else _escaped_labels(text)


def _plain_labels(text: str) -> dict[str, str] | None:
    """Labels without escapes, split in C (the common case, ~10x the regex's speed);
    None for anything unusual, which the regex then reads or refuses."""
    body = text.strip().removesuffix(",").rstrip()
    if not body:
        return {}
    if not body.endswith('"'):
        return None
    out: dict[str, str] = {}
    for part in body[:-1].split('",'):
        name, eq, value = part.partition('="')
        name = name.strip()
        if not eq or '"' in value or not name.isidentifier():
            return None
        out[name] = value
    return out


def _escaped_labels(text: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    end = 0
    for found in LABEL.finditer(text):
        if found.start() != end:
            return None
        value = found.group(2)
        if "\\" in value:
            value = re.sub(r"\\[\\\"n]", lambda m: ESCAPES[m.group(0)], value)
        out[found.group(1)] = value
        end = found.end()
    return out if text[end:].strip() == "" else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _seconds(stamp: str) -> int | None:
    try:
        if "." in stamp or "e" in stamp.lower():
            return round(float(stamp))
        value = int(stamp)
    except ValueError:
        return None
    return round(value / 1000) if abs(value) >= MS_FROM else value


def _problem(uuid: str, value: float | None, stamp: int | None) -> tuple[str, str] | None:
    if not uuid:
        return "UUID", "the sample has no UUID label"
    if len(uuid) > MAX_UUID:
        return "UUID", f"longer than {MAX_UUID} characters"
    if stamp is None:
        return "timestamp", ("the sample has no timestamp; export with timestamps "
                             "(federation, promtool tsdb dump) or use suanli-agent collect")
    if value is None or math.isnan(value) or not 0 <= value <= 100:
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
