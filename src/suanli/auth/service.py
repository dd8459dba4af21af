"""Users, organisations, tokens and login sessions: the rules around them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth import repository
from suanli.auth.errors import BadCredentials, LoginThrottled
from suanli.auth.models import ApiToken, LoginAttempt, LoginSession, Membership, Organisation, User
from suanli.auth.passwords import (
    digest,
    hash_password,
    new_token,
    session_csrf,
    verify_password,
)
from suanli.auth.principal import Grant, Principal
from suanli.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import as_utc, utcnow


def create_organisation(
    session: Session, *, slug: str, name: str, kind: OrgKind, name_zh: str | None = None,
    city: str | None = None,
) -> Organisation:
    """A new organisation; the slug must be unused."""
    if repository.org_by_slug(session, slug) is not None:
        raise Conflict(f"organisation {slug!r} already exists", field="slug")
    org = Organisation(slug=slug, name=name, name_zh=name_zh, kind=OrgKind(kind), city=city)
    session.add(org)
    session.flush()
    audit.record(session, action="organisation.create", object_type="organisation",
                 object_id=org.id, after=org_snapshot(org), organisation_id=org.id)
    return org


def org_snapshot(org: Organisation) -> dict[str, object]:
    return {"slug": org.slug, "name": org.name, "kind": str(org.kind), "city": org.city}


def create_user(
    session: Session, *, username: str, display_name: str, password: str,
    memberships: list[tuple[str, Role]] | None = None,
) -> User:
    """A new user with memberships given as (organisation slug, role)."""
    if len(password) < 10:
        raise ValidationFailed("must be at least 10 characters", field="password")
    if repository.user_by_username(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(username=username, display_name=display_name,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, action="user.create", object_type="user", object_id=user.id,
                 after={"username": username, "display_name": display_name})
    for index, (slug, role) in enumerate(memberships or []):
        add_membership(session, user=user, org_slug=slug, role=role,
                       field=f"memberships[{index}]")
    return user


def add_membership(
    session: Session, *, user: User, org_slug: str, role: Role, field: str = "organisation"
) -> Membership:
    """Give a user a role in an organisation whose kind allows that role."""
    org = repository.org_by_slug(session, org_slug)
    if org is None:
        raise ValidationFailed(f"no organisation {org_slug!r}", field=f"{field}.organisation")
    role = Role(role)
    if OrgKind(org.kind) not in ROLE_ORG_KINDS[role]:
        allowed = ", ".join(sorted(ROLE_ORG_KINDS[role]))
        raise ValidationFailed(
            f"role {role} is held in organisations of kind {allowed}, not {org.kind}",
            field=f"{field}.role",
        )
    existing = repository.membership(session, user.id, org.id, role)
    if existing is not None:
        return existing
    member = Membership(user_id=user.id, organisation_id=org.id, role=role)
    session.add(member)
    session.flush()
    session.refresh(user, ["memberships"])
    audit.record(session, action="membership.add", object_type="user", object_id=user.id,
                 after={"organisation": org.slug, "role": str(role)}, organisation_id=org.id)
    return member


def platform_organisations(session: Session) -> list[Organisation]:
    """Organisations of kind platform (after `suanli init`, at least one)."""
    return repository.orgs_of_kind(session, OrgKind.PLATFORM)


def init_platform(session: Session, *, org_slug: str, org_name: str, username: str,
                  display_name: str, password: str) -> tuple[Organisation, User]:
    """Bootstrap an empty installation: the platform organisation and its first
    administrator. Refused (409) once any platform organisation exists."""
    existing = platform_organisations(session)
    if existing:
        raise Conflict(f"already initialised: platform organisation {existing[0].slug!r} "
                       "exists; add administrators with `suanli users create NAME --member "
                       f"{existing[0].slug}:platform_admin`", field="init")
    org = create_organisation(session, slug=org_slug, name=org_name, kind=OrgKind.PLATFORM)
    user = create_user(session, username=username, display_name=display_name,
                       password=password, memberships=[(org.slug, Role.PLATFORM_ADMIN)])
    return org, user


def _user(session: Session, username: str) -> User:
    user = repository.user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return user


def deactivate_user(session: Session, *, username: str) -> User:
    """Stop a user from logging in or using tokens; open login sessions end. Audited;
    deactivating twice changes nothing."""
    user = _user(session, username)
    if not user.is_active:
        return user
    user.is_active = False
    ended = repository.end_login_sessions(session, user.id, utcnow())
    session.flush()
    audit.record(session, action="user.deactivate", object_type="user", object_id=user.id,
                 before={"is_active": True}, after={"is_active": False,
                                                    "sessions_ended": ended})
    return user


def reset_password(session: Session, *, username: str, password: str) -> User:
    """Set a new password (at least 10 characters); open login sessions end. Audited
    without the password."""
    if len(password) < 10:
        raise ValidationFailed("must be at least 10 characters", field="password")
    user = _user(session, username)
    user.password_hash = hash_password(password)
    ended = repository.end_login_sessions(session, user.id, utcnow())
    session.flush()
    audit.record(session, action="user.reset_password", object_type="user",
                 object_id=user.id, after={"sessions_ended": ended})
    return user


def principal_for(user: User, *, via: str, csrf_token: str | None = None) -> Principal:
    grants = tuple(
        Grant(m.organisation_id, m.organisation.slug, OrgKind(m.organisation.kind), Role(m.role))
        for m in user.memberships
    )
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     grants=grants, via=via, csrf_token=csrf_token)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def issue_token(
    session: Session, *, user: User, name: str, expires_in_days: int | None = None
) -> IssuedToken:
    """A new API token; its secret is returned once and stored only as a hash."""
    secret = new_token()
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=digest(secret),
                     expires_at=expires)
    session.add(token)
    session.flush()
    audit.record(session, action="token.create", object_type="api_token", object_id=token.id,
                 after={"user": user.username, "name": name, "prefix": token.prefix})
    return IssuedToken(token, secret)


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; revoking twice is harmless."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"no token {token_id}", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(session, action="token.revoke", object_type="api_token",
                     object_id=token.id, after={"prefix": token.prefix})
    return token


def authenticate_token(session: Session, secret: str) -> Principal | None:
    """The principal behind a bearer token, or None when unknown, revoked or expired."""
    token = repository.token_by_hash(session, digest(secret))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and as_utc(token.expires_at) <= utcnow():
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(user, via="token")


def _wait(oldest: datetime | None, window_s: int) -> int:
    if oldest is None:
        return window_s
    left = (as_utc(oldest) + timedelta(seconds=window_s) - utcnow()).total_seconds()
    return max(int(left) + 1, 1)


def check_throttle(session: Session, *, username: str, max_failures: int, window_s: int,
                   client: str | None = None, max_client_failures: int | None = None) -> None:
    """Refuse a login attempt while too many recent attempts failed: for this account
    (since its last success), or from this client address (for any accounts)."""
    since = utcnow() - timedelta(seconds=window_s)
    if repository.recent_failures(session, username, since) >= max_failures:
        wait = _wait(repository.oldest_failure_since(session, username, since), window_s)
        raise LoginThrottled(
            f"too many failed logins for this account; try again in {wait} seconds",
            field="username", retry_after=wait, scope="account")
    if client is None or max_client_failures is None:
        return
    failures, oldest = repository.client_failures(session, client[:64], since)
    if failures >= max_client_failures:
        wait = _wait(oldest, window_s)
        raise LoginThrottled(
            f"too many failed logins from your address; try again in {wait} seconds",
            field="username", retry_after=wait, scope="address")


def login(
    session: Session, *, username: str, password: str, client: str, ttl_s: int,
    max_failures: int, window_s: int, csrf_key: str, max_client_failures: int | None = None,
) -> tuple[Principal, str, datetime]:
    """Check the password and open a login session; returns (principal, secret, expiry).

    Attempts for one account, and from one client address, are checked one at a time (a
    concurrent burst waits its turn and is then counted), so no more passwords are tried
    than the limits allow. The attempt is recorded even when it fails; the caller commits
    it either way. The session's CSRF token is bound to it (`session_csrf` with
    ``csrf_key``).
    """
    repository.serialise_logins(session, [f"login-account:{username[:64]}",
                                          f"login-client:{client[:64]}"])
    check_throttle(session, username=username, max_failures=max_failures, window_s=window_s,
                   client=client, max_client_failures=max_client_failures)
    user = repository.user_by_username(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(username=username[:64], client=client[:64], succeeded=ok))
    session.flush()
    if not ok or user is None:
        raise BadCredentials("wrong username or password", field="password")
    secret = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=ttl_s)
    csrf = session_csrf(secret, csrf_key)
    session.add(LoginSession(session_hash=digest(secret), user_id=user.id, csrf_token=csrf,
                             expires_at=expires))
    session.flush()
    audit.record(session, action="session.login", object_type="user", object_id=user.id,
                 actor=audit.Actor(user.id, user.username))
    return principal_for(user, via="session", csrf_token=csrf), secret, expires


def resume_session(session: Session, secret: str) -> Principal | None:
    """The principal of a live login session, or None when unknown, ended or expired."""
    found = repository.login_session_by_hash(session, digest(secret))
    if found is None or found.revoked_at is not None or as_utc(found.expires_at) <= utcnow():
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(user, via="session", csrf_token=found.csrf_token)


def logout(session: Session, secret: str) -> None:
    found = repository.login_session_by_hash(session, digest(secret))
    if found is not None and found.revoked_at is None:
        found.revoked_at = utcnow()
        session.flush()
        audit.record(session, action="session.logout", object_type="user",
                     object_id=found.user_id)
