"""The hash chain (pure): how a record's hash is computed and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor_user_id: int | None
    actor: str
    organisation_id: int | None
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str = ""


def canonical(value: Any) -> Any:
    """A JSON-safe copy with stable types, so the hash survives a database round trip."""
    return json.loads(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


def entry_hash(entry: Entry) -> str:
    """SHA-256 over the canonical JSON of every field but the hash itself."""
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    problem: str | None = None
    seq: int | None = None


def verify(entries: Iterable[Entry], *, head_seq: int, head_hash: str) -> Verdict:
    """Walk the chain in sequence order; the first gap, edit or broken link fails it."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            return Verdict(False, checked, f"record {expected_seq} is missing", expected_seq)
        if entry.prev_hash != expected_prev:
            return Verdict(False, checked, f"record {entry.seq}: link to previous record broken",
                           entry.seq)
        if entry_hash(entry) != entry.hash:
            return Verdict(False, checked, f"record {entry.seq}: contents altered", entry.seq)
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    if checked != head_seq:
        missing = checked + 1
        return Verdict(False, checked,
                       f"chain ends at record {checked} but the head says {head_seq}", missing)
    if expected_prev != head_hash:
        return Verdict(False, checked, f"record {checked}: hash differs from the head", checked)
    return Verdict(True, checked)
