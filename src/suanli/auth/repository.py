"""All SQL of the auth domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from suanli.auth.models import (
    ApiToken,
    LoginAttempt,
    LoginSession,
    Membership,
    Organisation,
    User,
)
from suanli.kit.repository import paged


def user_by_username(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def org_by_slug(session: Session, slug: str) -> Organisation | None:
    stmt = select(Organisation).where(Organisation.slug == slug)
    return session.execute(stmt).scalar_one_or_none()


def org_by_id(session: Session, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def list_orgs(
    session: Session, *, ids: frozenset[int] | None, limit: int, offset: int
) -> tuple[list[Organisation], int]:
    stmt = select(Organisation).order_by(Organisation.id)
    if ids is not None:
        stmt = stmt.where(Organisation.id.in_(ids))
    return paged(session, stmt, limit=limit, offset=offset)


def orgs_of_kind(session: Session, kind: str) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.kind == kind).order_by(Organisation.id)
    return list(session.execute(stmt).scalars())


def end_login_sessions(session: Session, user_id: int, at: datetime) -> int:
    """Revoke the user's open login sessions; how many were open."""
    stmt = (update(LoginSession)
            .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=at))
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def list_users(session: Session, *, limit: int, offset: int) -> tuple[list[User], int]:
    return paged(session, select(User).order_by(User.id), limit=limit, offset=offset)


def membership(session: Session, user_id: int, org_id: int, role: str) -> Membership | None:
    stmt = select(Membership).where(
        Membership.user_id == user_id, Membership.organisation_id == org_id,
        Membership.role == role,
    )
    return session.execute(stmt).scalar_one_or_none()


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    stmt = select(ApiToken).where(ApiToken.token_hash == token_hash)
    return session.execute(stmt).scalar_one_or_none()


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.execute(stmt).scalars())


def login_session_by_hash(session: Session, session_hash: str) -> LoginSession | None:
    stmt = select(LoginSession).where(LoginSession.session_hash == session_hash)
    return session.execute(stmt).scalar_one_or_none()


def serialise_logins(session: Session, keys: list[str]) -> None:
    """Hold a lock on each key (in sorted order) until the transaction ends, so that login
    attempts sharing a key are counted and checked one at a time. PostgreSQL: transaction
    advisory locks; SQLite: the write transaction (BEGIN IMMEDIATE) already is the only one."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(select(1))  # begins the transaction: BEGIN IMMEDIATE
        return
    for key in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": key})


def recent_failures(session: Session, username: str, since: datetime) -> int:
    """Failures for the username since its last success inside the window."""
    last_ok = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(True),
        LoginAttempt.at >= since,
    ).scalar_subquery()
    stmt = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= func.coalesce(last_ok, since),
    )
    return int(session.execute(stmt).scalar_one())


def oldest_failure_since(session: Session, username: str, since: datetime) -> datetime | None:
    stmt = select(func.min(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= since,
    )
    return session.execute(stmt).scalar_one_or_none()


def client_failures(session: Session, client: str, since: datetime) -> tuple[int, datetime | None]:
    """Failures from the client address since ``since`` (any account; a success resets
    nothing: one good account must not unlock spraying the others), and the oldest."""
    stmt = select(func.count(), func.min(LoginAttempt.at)).where(
        LoginAttempt.client == client, LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= since)
    count, oldest = session.execute(stmt).one()
    return int(count), oldest
