"""Writing audit records in the caller's transaction, and verifying the chain.

`record()` queues an entry on the session; the entries are chained and written just
before the transaction commits (or when `write_pending()` is called), holding the lock
on the chain's head only for that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import event
from sqlalchemy.orm import Session

from suanli.audit import chain, checkpoint, repository
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


def take_checkpoint(session: Session, key: Ed25519PrivateKey, *,
                    previous: checkpoint.Checkpoint | None = None,
                    now: datetime | None = None) -> checkpoint.Checkpoint:
    """Sign the current head. Refuses (CheckpointError) when the head is not the hash of
    its own record, or when the chain no longer holds `previous` (the newest checkpoint
    already taken): signing a rewritten chain would vouch for it."""
    head = repository.get_head(session)
    if repository.hash_at(session, head.seq) != head.hash:
        raise checkpoint.CheckpointError(
            f"head: record {head.seq} does not have the head's hash; run `suanli audit verify`")
    if previous is not None and repository.hash_at(session, previous.seq) != previous.hash:
        raise checkpoint.CheckpointError(
            f"record {previous.seq} no longer has the hash of the last checkpoint; "
            "run `suanli audit verify --checkpoints`")
    return checkpoint.sign(key, seq=head.seq, hash_=head.hash, at=now or utcnow())


def verify_checkpoints(session: Session, found: list[tuple[str, checkpoint.Checkpoint]],
                       public: Ed25519PublicKey) -> checkpoint.Finding:
    """Prove the chain still holds every signed head in `found` (see `checkpoint.compare`)."""
    return checkpoint.compare(found, public, lambda seq: repository.hash_at(session, seq))


def head_seq(session: Session) -> int:
    """The sequence number of the newest record (0: none yet)."""
    return repository.get_head(session).seq
