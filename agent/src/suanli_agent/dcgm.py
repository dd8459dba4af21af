"""Reading dcgm-exporter's Prometheus text: which GPUs are busy right now (pure).

dcgm-exporter serves one sample per GPU and metric, without timestamps: a scrape says how
busy each GPU is at the moment it is read. A GPU is busy when its graphics engine was
active (``DCGM_FI_PROF_GR_ENGINE_ACTIVE``, a ratio 0-1, preferred where the exporter
serves it) or its utilisation (``DCGM_FI_DEV_GPU_UTIL``, percent) is above zero. GPUs are
told apart by their ``UUID`` label, the identity the platform attested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
_LINE = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+"
                   r"(?P<value>\S+)(?:\s+\S+)?\s*$")
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


class ExporterError(ValueError):
    """Exporter text that tells nothing about any GPU; the message says why."""


@dataclass(frozen=True)
class Reading:
    """One scrape: each GPU's UUID and whether it was busy, the metric used, the host."""

    busy: dict[str, bool]
    metric: str
    hostname: str | None


def _labels(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for match in _LABEL.finditer(text):
        out[match.group(1)] = match.group(2).replace('\\"', '"').replace("\\\\", "\\")
    return out


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None or match.group("name") not in (ENGINE_ACTIVE, GPU_UTIL):
            continue
        try:
            value = float(match.group("value"))
        except ValueError:
            continue
        found.setdefault(match.group("name"), []).append(
            (_labels(match.group("labels") or ""), value))
    return found


def read(text: str) -> Reading:
    """Which GPUs are busy in one scrape of dcgm-exporter.

    Raises ExporterError when the text has neither metric with a UUID label.
    """
    samples = _samples(text)
    for metric in (ENGINE_ACTIVE, GPU_UTIL):
        rows = [(labels, value) for labels, value in samples.get(metric, [])
                if labels.get("UUID")]
        if rows:
            busy: dict[str, bool] = {}
            for labels, value in rows:
                busy[labels["UUID"]] = busy.get(labels["UUID"], False) or value > 0
            hosts = {labels.get("Hostname") for labels, _ in rows} - {None, ""}
            return Reading(busy, metric, hosts.pop() if len(hosts) == 1 else None)
    raise ExporterError(f"serves neither {ENGINE_ACTIVE} nor {GPU_UTIL} with a UUID label")
