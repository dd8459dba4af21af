"""Writing audit records in the caller's transaction, and verifying the chain.

`record()` queues an entry on the session; the entries are chained and written just
before the transaction commits (or when `write_pending()` is called), holding the lock
on the chain's head only for that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from suanli.audit import chain, repository
from suanli.kit.timeutil import utcnow

_PENDING = "audit_pending"
_ACTOR = "audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (with the organisation they act for) or the system."""

    user_id: int | None
    name: str
    organisation_id: int | None = None


SYSTEM = Actor(user_id=None, name="system")


def set_actor(session: Session, actor: Actor) -> None:
    """Who the following records in this session are attributed to."""
    session.info[_ACTOR] = actor


def current_actor(session: Session) -> Actor:
    actor = session.info.get(_ACTOR)
    return actor if isinstance(actor, Actor) else SYSTEM


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Actor | None = None,
    organisation_id: int | None = None,
) -> None:
    """Queue an audit record; it is written in the same transaction as the change."""
    who = actor or current_actor(session)
    session.info.setdefault(_PENDING, []).append(
        {
            "at": utcnow(),
            "actor_user_id": who.user_id,
            "actor": who.name,
            "organisation_id": organisation_id if organisation_id is not None
            else who.organisation_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": chain.canonical(before) if before is not None else None,
            "after": chain.canonical(after) if after is not None else None,
        }
    )


def write_pending(session: Session) -> int:
    """Chain and insert the queued records now; returns how many were written."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    head = repository.lock_head(session)
    seq, prev = head.seq, head.hash
    for fields in pending:
        seq += 1
        entry = chain.Entry(seq=seq, prev_hash=prev, **fields)
        prev = chain.entry_hash(entry)
        repository.add(session, entry, prev)
    head.seq, head.hash = seq, prev
    session.flush()
    return len(pending)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def verify(session: Session) -> chain.Verdict:
    """Re-check every record's hash and link against the head.

    On a live database give it a `kit.db.read_snapshot` session: in one that reads each
    statement afresh, a record appended between the head and the walk looks like a break.
    """
    head = repository.get_head(session)
    return chain.verify(repository.iter_entries(session), head_seq=head.seq, head_hash=head.hash)
