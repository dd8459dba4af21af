"""``suanli-agent collect``: GPU-busy intervals from dcgm-exporter, posted as usage.

Every poll reads the exporter, advances each GPU's busy interval (``spans.py``) and
stores closed intervals as usage records in the state file before posting them to
``POST /api/v1/metering/usage``. A record's ``ref`` is made from its GPU and start, and
a batch's Idempotency-Key from its refs, so a record posted again after a crash or a
restart is the same record under the same key: it is never counted twice. The state
file (JSON, replaced atomically) keeps the open intervals, the time of the last poll
and the records not yet accepted.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suanli_agent import dcgm
from suanli_agent.errors import PLATFORM, USAGE, AgentError
from suanli_agent.spans import Span, step

if TYPE_CHECKING:
    import httpx

STATE_VERSION = 1
BATCH = 500  # records per request
SOURCE = "dcgm-exporter"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def record_for(cluster_id: int, span: Span) -> dict[str, Any]:
    """The usage record of one closed interval, in the platform's shape."""
    return {"cluster_id": cluster_id, "gpu_uuids": [span.uuid], "start": _iso(span.start),
            "end": _iso(span.last),
            "ref": f"{SOURCE}/{span.uuid}/{span.start.astimezone(UTC):%Y%m%dT%H%M%SZ}"}


def idempotency_key(records: list[dict[str, Any]]) -> str:
    """The same records give the same key, whenever and however often they are posted."""
    refs = "\n".join(sorted(r["ref"] for r in records))
    return "usage-" + hashlib.sha256(refs.encode()).hexdigest()[:40]


@dataclass
class State:
    """What survives a restart."""

    cluster_id: int
    last_poll: datetime | None = None
    spans: dict[str, Span] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "cluster_id": self.cluster_id,
                "last_poll": None if self.last_poll is None else _iso(self.last_poll),
                "open": {u: {"start": _iso(s.start), "last": _iso(s.last)}
                         for u, s in sorted(self.spans.items())},
                "pending": self.pending, "refused": self.refused}


def load_state(path: Path, cluster_id: int) -> State:
    """The state in ``path``, or a fresh one when the file does not exist yet."""
    if not path.exists():
        return State(cluster_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {STATE_VERSION}")
        if data["cluster_id"] != cluster_id:
            raise AgentError(f"{path} holds the state of cluster {data['cluster_id']}, not "
                             f"{cluster_id}", field="--state", exit_code=USAGE)
        spans = {u: Span(u, _time(s["start"]), _time(s["last"]))
                 for u, s in data["open"].items()}
        last = None if data["last_poll"] is None else _time(data["last_poll"])
        return State(cluster_id, last, spans, list(data["pending"]), list(data["refused"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AgentError(f"cannot use {path}: {exc}", field="--state", exit_code=USAGE
                         ) from None


def save_state(path: Path, state: State) -> None:
    """Write the state so that a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(state.as_json(), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclass(frozen=True)
class Posted:
    accepted: int
    kept: int
    refused: int


class Collector:
    """Polls one exporter for one cluster and posts what it measured."""

    def __init__(self, *, exporter: str, platform: str, token: str, cluster_id: int,
                 state_path: Path, interval: float, client: httpx.Client,
                 flush_after: timedelta = timedelta(hours=1)) -> None:
        self.exporter, self.platform, self.token = exporter, platform, token
        self.state_path, self.client = state_path, client
        self.max_gap = timedelta(seconds=max(3 * interval, interval + 30))
        self.flush_after = flush_after
        self.state = load_state(state_path, cluster_id)

    def read_exporter(self) -> dcgm.Reading:
        import httpx

        try:
            response = self.client.get(self.exporter)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise AgentError(f"cannot read the exporter at {self.exporter}: {exc}",
                             field="--exporter", exit_code=PLATFORM) from None
        try:
            return dcgm.read(response.text)
        except dcgm.ExporterError as exc:
            raise AgentError(f"{self.exporter} {exc}", field="--exporter",
                             exit_code=USAGE) from None

    def poll(self, now: datetime | None = None) -> int:
        """Read the exporter once; store the intervals it closed. How many it closed."""
        reading = self.read_exporter()
        moment = now or datetime.now(UTC)
        spans, closed = step(self.state.spans, reading.busy, now=moment,
                             last_poll=self.state.last_poll, max_gap=self.max_gap,
                             flush_after=self.flush_after)
        known = {r["ref"] for r in self.state.pending}
        new = [r for r in (record_for(self.state.cluster_id, s) for s in closed)
               if r["ref"] not in known]
        self.state.spans, self.state.last_poll = spans, moment
        self.state.pending += new
        save_state(self.state_path, self.state)
        return len(new)

    def post(self) -> Posted:
        """Post the pending records in batches; accepted ones leave the state file.

        A batch the platform refuses for its content (409, 422) is set aside under
        ``refused`` with the reason; an unreachable or failing platform keeps them pending;
        a refused token or cluster (401, 403, 404) is an AgentError: the operator must act.
        """
        from suanli_agent.platform import refusal, send

        accepted = refused = 0
        while self.state.pending:
            batch = self.state.pending[:BATCH]
            try:
                response = send("POST", self.platform, "/metering/usage", token=self.token,
                                body={"records": batch}, client=self.client,
                                idempotency_key=idempotency_key(batch))
            except AgentError:
                break  # unreachable: try again at the next poll
            if response.status_code in (401, 403, 404):
                raise refusal(response, "the usage records")
            if response.status_code >= 500 or response.status_code in (408, 429):
                break
            if response.status_code >= 400:
                reason = str(refusal(response, "the usage records"))
                self.state.refused += [{**r, "reason": reason} for r in batch]
                refused += len(batch)
            else:
                accepted += len(batch)
            del self.state.pending[:len(batch)]
            save_state(self.state_path, self.state)
        return Posted(accepted, len(self.state.pending), refused)
