"""DCGM samples read from a Prometheus server through its HTTP API (`query_range`).

`samples` asks `GET /api/v1/query_range` for `DCGM_FI_DEV_GPU_UTIL` from `start` to `end`
every `step` seconds, in windows of at most `points_per_query` steps (Prometheus refuses more
than 11,000 points per series), and yields the samples of each window series by series, so
each GPU's samples come in time order, as `gpu_runs` needs them. Prometheus evaluates the
query at every step with its look-back (5 minutes by default): a GPU that stopped reporting
keeps its last value that long. Labels are read as in files (`UUID`, `Hostname`, `contract`,
`hpc_job`); a sample's "line" is its number in the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from suanli.metering.gpu_runs import Sample
from suanli.metering.parse_prometheus import METRIC, sample_of
from suanli.metering.rows import RowError

POINTS_PER_QUERY = 10_000
TIMEOUT_S = 60.0


class PullError(Exception):
    """The Prometheus server could not be read, or answered with an error."""


def samples(base_url: str, *, start: datetime, end: datetime, step_s: int,
            query: str = METRIC, points_per_query: int = POINTS_PER_QUERY,
            client: httpx.Client | None = None) -> Iterator[Sample | RowError]:
    """Samples of the query's series from `start` to `end`, window by window."""
    url = base_url.rstrip("/") + "/api/v1/query_range"
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    number = 0
    try:
        first, last = int(start.timestamp()), int(end.timestamp())
        while first <= last:
            until = min(last, first + step_s * (points_per_query - 1))
            for series in _matrix(http, url, query, first, until, step_s):
                labels = {str(k): str(v) for k, v in series.get("metric", {}).items()}
                for at, value in series.get("values", []):
                    number += 1
                    yield sample_of(labels, _float(value), round(float(at)), number)
            first = until + step_s
    finally:
        if own:
            http.close()


def _matrix(http: httpx.Client, url: str, query: str, start: int, end: int, step_s: int
            ) -> list[dict[str, Any]]:
    params = {"query": query, "start": str(start), "end": str(end), "step": f"{step_s}s"}
    try:
        response = http.get(url, params=params)
    except httpx.HTTPError as exc:
        raise PullError(f"cannot reach {url}: {exc}") from exc
    try:
        doc = response.json()
    except ValueError:
        raise PullError(f"{url} answered {response.status_code} without JSON: is this "
                        "Prometheus?") from None
    if response.status_code != 200 or doc.get("status") != "success":
        raise PullError(f"Prometheus refused the query ({response.status_code}): "
                        f"{doc.get('errorType', '')} {doc.get('error', '')}".strip())
    data = doc.get("data", {})
    if data.get("resultType") != "matrix":
        raise PullError(f"expected a matrix from query_range, got {data.get('resultType')!r}")
    result = data.get("result", [])
    return result if isinstance(result, list) else []


def _float(text: object) -> float | None:
    try:
        return float(str(text))
    except ValueError:
        return None
