"""Verify the audit chain and the ledger, and remember each result.

A verification reads every record, so pages show the last stored result and its age
rather than re-verifying per visit; `suanli audit verify` and `suanli ledger verify` (run
from cron) and the "Verify now" button store new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import chain
from suanli.audit import service as audit_service
from suanli.auth.principal import Principal
from suanli.integrity import repository
from suanli.integrity.models import IntegrityCheck
from suanli.kit.db import snapshot_of
from suanli.kit.timeutil import utcnow
from suanli.ledger.verify import Verdict as LedgerVerdict
from suanli.ledger.verify import verify as verify_ledger

STALE_AFTER = timedelta(hours=24)  # a result older than a day is shown as such


class Subject(StrEnum):
    AUDIT_CHAIN = "audit_chain"
    LEDGER = "ledger"


@dataclass(frozen=True)
class Requester:
    """Who asked for a check: a user, or a command such as "suanli ledger verify"."""

    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Requester:
        return cls(principal.display_name, principal.user_id)


@dataclass(frozen=True)
class Latest:
    """The newest stored check of each subject, read at `now`."""

    audit: IntegrityCheck | None
    ledger: IntegrityCheck | None
    now: datetime

    def stale(self, check: IntegrityCheck | None) -> bool:
        return check is None or self.now - check.finished_at > STALE_AFTER


def record_audit(session: Session, verdict: chain.Verdict, *, started_at: datetime,
                 by: Requester) -> IntegrityCheck:
    """Store the result of an audit-chain verification."""
    return _record(session, Subject.AUDIT_CHAIN, verdict.ok, {"records": verdict.checked},
                   verdict.problem, started_at, by)


def record_ledger(session: Session, verdict: LedgerVerdict, *, started_at: datetime,
                  by: Requester) -> IntegrityCheck:
    """Store the result of a ledger verification."""
    counts = {"accounts": verdict.accounts, "transfers": verdict.transfers,
              "entries": verdict.entries}
    return _record(session, Subject.LEDGER, verdict.ok, counts, verdict.problem, started_at, by)


def _record(session: Session, subject: Subject, ok: bool, counts: dict[str, int],
            problem: str | None, started_at: datetime, by: Requester) -> IntegrityCheck:
    outbox.emit(session, "integrity.passed" if ok else "integrity.failed", subject=(
        "integrity", subject.value), payload={"subject": subject.value, "problem": problem})
    return repository.add(session, IntegrityCheck(
        subject=subject.value, ok=ok, counts=counts, problem=problem, started_at=started_at,
        finished_at=utcnow(), requested_by=by.name[:100], requested_by_user_id=by.user_id))


def check_now(session: Session, *, by: Requester) -> Latest:
    """Verify the audit chain and then the ledger, each in a read snapshot of its own (one
    moment, writers carry on), and store both results in `session`'s transaction."""
    started = utcnow()
    with snapshot_of(session) as snapshot:
        audit_verdict = audit_service.verify(snapshot)
    audit = record_audit(session, audit_verdict, started_at=started, by=by)
    started = utcnow()
    with snapshot_of(session) as snapshot:
        ledger_verdict = verify_ledger(snapshot)
    ledger = record_ledger(session, ledger_verdict, started_at=started, by=by)
    return Latest(audit, ledger, utcnow())


def latest(session: Session) -> Latest:
    """The newest stored check of the audit chain and of the ledger (None: never checked)."""
    return Latest(repository.latest(session, Subject.AUDIT_CHAIN),
                  repository.latest(session, Subject.LEDGER), utcnow())
