"""Signed audit checkpoints taken on the database: by `suanli audit checkpoint`, and by
`suanli worker` every SUANLI_AUDIT_CHECKPOINT_INTERVAL seconds when that is set (with
SUANLI_AUDIT_CHECKPOINT_KEY and SUANLI_AUDIT_CHECKPOINT_DIR, and optionally
SUANLI_AUDIT_CHECKPOINT_WEBHOOK). Verification against them is `audit_verdict` below."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.audit import chain, checkpoint
from suanli.audit import service as audit_service
from suanli.kit.db import read_snapshot
from suanli.settlement import worker

log = logging.getLogger("suanli.integrity.checkpoints")
WEBHOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Schedule:
    """The worker's checkpoint settings; `interval_s` 0 means off."""

    interval_s: float
    key: Path | None
    directory: Path | None
    webhook: str | None

    @classmethod
    def from_env(cls) -> Schedule:
        def path(name: str) -> Path | None:
            value = os.environ.get(name, "").strip()
            return Path(value).expanduser() if value else None

        raw = os.environ.get("SUANLI_AUDIT_CHECKPOINT_INTERVAL", "").strip() or "0"
        return cls(interval_s=float(raw), key=path("SUANLI_AUDIT_CHECKPOINT_KEY"),
                   directory=path("SUANLI_AUDIT_CHECKPOINT_DIR"),
                   webhook=os.environ.get("SUANLI_AUDIT_CHECKPOINT_WEBHOOK") or None)


def newest(directory: Path) -> checkpoint.Checkpoint | None:
    """The checkpoint with the highest sequence in `directory` (None: none yet)."""
    if not directory.exists():
        return None
    found = checkpoint.load_dir(directory)
    return found[-1][1] if found else None


def take(engine: Engine, key: Ed25519PrivateKey, directory: Path, *,
         webhook: str | None = None) -> tuple[checkpoint.Checkpoint, Path]:
    """Sign the head as one read snapshot sees it, write the file, then POST it to the
    regulator's webhook when one is given (httpx.HTTPError when that fails: the file is
    written by then)."""
    with read_snapshot(engine) as session:
        point = audit_service.take_checkpoint(session, key, previous=newest(directory))
    path = checkpoint.write(directory, point)
    if webhook:
        post(webhook, point)
    return point, path


def post(url: str, point: checkpoint.Checkpoint) -> None:
    response = httpx.post(url, content=point.to_json().encode(), timeout=WEBHOOK_TIMEOUT_S,
                          headers={"Content-Type": "application/json"})
    response.raise_for_status()


def audit_verdict(session: Session, *, directory: Path | None = None,
                  public: Ed25519PublicKey | None = None) -> chain.Verdict:
    """The chain checked against itself and, given `directory` and `public`, against every
    signed checkpoint there; the first problem either way fails it."""
    verdict = audit_service.verify(session)
    if not verdict.ok or directory is None or public is None:
        return verdict
    try:
        found = checkpoint.load_dir(directory)
    except checkpoint.CheckpointError as exc:
        return chain.Verdict(False, verdict.checked, str(exc))
    finding = audit_service.verify_checkpoints(session, found, public)
    if finding.problem is not None:
        return chain.Verdict(False, verdict.checked, finding.problem, finding.seq)
    return verdict


def _scheduled(factory: sessionmaker[Session], stop: threading.Event) -> None:
    """Inside `suanli worker`: a checkpoint every interval when the head has moved."""
    schedule = Schedule.from_env()
    if schedule.interval_s <= 0 or schedule.key is None or schedule.directory is None:
        return
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        return
    while True:
        try:
            key = checkpoint.load_private(schedule.key)
            last = newest(schedule.directory)
            with read_snapshot(bind) as session:
                moved = last is None or audit_service.head_seq(session) != last.seq
            if moved:
                point, path = take(bind, key, schedule.directory, webhook=schedule.webhook)
                log.info("audit checkpoint", extra={"fields": {"seq": point.seq,
                                                               "file": str(path)}})
        except Exception:  # one failed checkpoint must not stop the worker
            log.exception("audit checkpoint failed")
        if stop.is_set() or stop.wait(schedule.interval_s):
            return


worker.register_service(_scheduled)  # `suanli worker` checkpoints when configured
