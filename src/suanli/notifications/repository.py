"""All SQL of the notifications domain.

Like dashboards and reports, it reads other domains' tables (memberships, programs,
vouchers, contracts) and never writes them: recipients and reminders are each one query.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from suanli.auth.models import Membership, Organisation, User
from suanli.auth.roles import Role
from suanli.kit.repository import paged
from suanli.market.models import Contract, ContractState
from suanli.notifications.models import (
    AlertThreshold,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    DigestState,
    Notification,
    NotificationPreference,
    NotificationSettings,
    WebhookEndpoint,
)
from suanli.outbox.models import OutboxEvent
from suanli.programs.models import Program
from suanli.vouchers.models import Voucher, VoucherStatus


def _table(model: type[object]) -> Table:
    table = getattr(model, "__table__", None)
    assert isinstance(table, Table)
    return table


# --- recipients --------------------------------------------------------------------------


def members(session: Session, *, org_ids: Collection[int] | None, roles: Collection[Role]
            ) -> list[tuple[int, int]]:
    """(user id, organisation id) of active users holding one of `roles` in `org_ids`
    (None: in any organisation)."""
    stmt = (select(Membership.user_id, Membership.organisation_id)
            .join(User, User.id == Membership.user_id)
            .where(User.is_active.is_(True), Membership.role.in_([str(r) for r in roles])))
    if org_ids is not None:
        stmt = stmt.where(Membership.organisation_id.in_(sorted(org_ids)))
    return [(int(u), int(o)) for u, o in session.execute(stmt)]


def program_authorities(session: Session, program_ids: Collection[int]) -> dict[int, int]:
    if not program_ids:
        return {}
    stmt = select(Program.id, Program.authority_org_id).where(Program.id.in_(
        sorted(program_ids)))
    return {int(p): int(a) for p, a in session.execute(stmt)}


def settings_of(session: Session, user_ids: Collection[int]
                ) -> dict[int, NotificationSettings]:
    if not user_ids:
        return {}
    stmt = select(NotificationSettings).where(NotificationSettings.user_id.in_(
        sorted(user_ids)))
    return {s.user_id: s for s in session.execute(stmt).scalars()}


def preferences_of(session: Session, user_ids: Collection[int]
                   ) -> dict[tuple[int, str, str], bool]:
    if not user_ids:
        return {}
    stmt = select(NotificationPreference).where(NotificationPreference.user_id.in_(
        sorted(user_ids)))
    return {(p.user_id, p.topic, p.channel): p.enabled for p in session.execute(stmt).scalars()}


def endpoints_of(session: Session, org_ids: Collection[int], *, active_only: bool = True
                 ) -> list[WebhookEndpoint]:
    if not org_ids:
        return []
    stmt = (select(WebhookEndpoint).where(WebhookEndpoint.organisation_id.in_(sorted(org_ids)))
            .order_by(WebhookEndpoint.id))
    if active_only:
        stmt = stmt.where(WebhookEndpoint.active.is_(True))
    return list(session.execute(stmt).scalars())


def insert_rows(session: Session, model: type[Notification] | type[Delivery],
                rows: list[dict[str, Any]]) -> None:
    """Many rows in one Core executemany (dispatch writes thousands per batch; the ORM's
    bulk path cost twice as much)."""
    if rows:
        session.execute(insert(_table(model)), rows)


# --- the sender --------------------------------------------------------------------------


def claim_due(session: Session, *, now: datetime, until: datetime, limit: int
              ) -> list[Delivery]:
    """Pending deliveries due by `now`, locked, their next attempt moved to `until` (the
    lease: if the sender dies before recording the outcome they are due again then) and
    their attempt counted."""
    stmt = (select(Delivery).where(Delivery.status == DeliveryStatus.PENDING,
                                   Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(skip_locked=True))
    rows = list(session.execute(stmt).scalars())
    if rows:
        table = _table(Delivery)
        session.execute(update(table).where(table.c.id.in_([d.id for d in rows])).values(
            next_attempt_at=until, attempts=table.c.attempts + 1))
        for delivery in rows:  # what the row holds now; nothing left for a flush to write
            set_committed_value(delivery, "next_attempt_at", until)
            set_committed_value(delivery, "attempts", delivery.attempts + 1)
    return rows


def record_outcomes(session: Session, updates: list[dict[str, Any]],
                    attempts: list[dict[str, Any]]) -> None:
    """Each delivery's new state (by `id`) and its attempt rows."""
    table = _table(Delivery)
    for columns, group in _by_columns(updates).items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam(f"b_{c}") for c in columns})
        session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in group])
    if attempts:
        session.execute(insert(_table(DeliveryAttempt)), attempts)


def _by_columns(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(set(row) - {"id"})), []).append(row)
    return groups


def notifications_by_ids(session: Session, ids: Collection[int]
                         ) -> list[tuple[Notification, OutboxEvent]]:
    if not ids:
        return []
    stmt = (select(Notification, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Notification.outbox_id)
            .where(Notification.id.in_(sorted(ids))))
    return [(n, e) for n, e in session.execute(stmt)]


def endpoints_by_ids(session: Session, ids: Collection[int]) -> dict[int, WebhookEndpoint]:
    if not ids:
        return {}
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id.in_(sorted(ids)))
    return {e.id: e for e in session.execute(stmt).scalars()}


# --- digests -----------------------------------------------------------------------------


def digest_users(session: Session, *, before: datetime) -> list[int]:
    """Users with events queued for a digest that happened before `before`."""
    stmt = (select(Notification.user_id).where(
        Notification.digest_state == DigestState.QUEUED, Notification.occurred_at < before)
        .distinct().order_by(Notification.user_id))
    return [int(u) for u in session.execute(stmt).scalars()]


def queued_for(session: Session, user_id: int, *, before: datetime) -> list[Notification]:
    stmt = (select(Notification).where(Notification.user_id == user_id,
                                       Notification.digest_state == DigestState.QUEUED,
                                       Notification.occurred_at < before)
            .order_by(Notification.id).with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def delivery_by_key(session: Session, key: str) -> Delivery | None:
    return session.execute(select(Delivery).where(Delivery.key == key)).scalar_one_or_none()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# --- the inbox ---------------------------------------------------------------------------


def inbox(session: Session, user_id: int, *, unread_only: bool, limit: int, offset: int
          ) -> tuple[list[tuple[Notification, OutboxEvent]], int]:
    base = select(Notification.id).where(Notification.user_id == user_id,
                                         Notification.inbox.is_(True))
    if unread_only:
        base = base.where(Notification.read_at.is_(None))
    total = int(session.execute(select(func.count()).select_from(base.subquery()))
                .scalar_one())
    stmt = (select(Notification, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Notification.outbox_id)
            .where(Notification.id.in_(base.scalar_subquery()))
            .order_by(Notification.id.desc()).limit(limit).offset(offset))
    return [(n, e) for n, e in session.execute(stmt)], total


def unread_count(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(Notification.user_id == user_id,
                                      Notification.inbox.is_(True),
                                      Notification.read_at.is_(None))
    return int(session.execute(stmt).scalar_one())


def mark_read(session: Session, user_id: int, ids: Collection[int] | None, at: datetime
              ) -> int:
    """Mark the user's unread notifications `ids` (None: all of them) read; how many."""
    stmt = (update(Notification).where(Notification.user_id == user_id,
                                       Notification.inbox.is_(True),
                                       Notification.read_at.is_(None))
            .values(read_at=at))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(sorted(ids)))
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


# --- preferences -------------------------------------------------------------------------


def settings(session: Session, user_id: int) -> NotificationSettings | None:
    return session.get(NotificationSettings, user_id)


def replace_preferences(session: Session, user_id: int,
                        choices: Mapping[tuple[str, str], bool]) -> None:
    session.execute(delete(NotificationPreference).where(
        NotificationPreference.user_id == user_id))
    if choices:
        session.execute(insert(NotificationPreference), [
            {"user_id": user_id, "topic": topic, "channel": channel, "enabled": on}
            for (topic, channel), on in sorted(choices.items())])


# --- webhooks and the delivery log -------------------------------------------------------


def endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def remove(session: Session, row: object) -> None:
    session.delete(row)
    session.flush()


def deliveries(session: Session, *, user_id: int | None, org_ids: Collection[int] | None,
               endpoint_id: int | None, status: str | None, limit: int, offset: int
               ) -> tuple[list[Delivery], int]:
    """Deliveries newest first: the e-mails to `user_id` and the webhook calls of `org_ids`
    (both None: every delivery)."""
    stmt = select(Delivery).order_by(Delivery.id.desc())
    if user_id is not None or org_ids is not None:
        mine = Delivery.user_id == user_id
        ours = (Delivery.endpoint_id.is_not(None)
                & Delivery.organisation_id.in_(sorted(org_ids or ())))
        stmt = stmt.where(mine | ours)
    if endpoint_id is not None:
        stmt = stmt.where(Delivery.endpoint_id == endpoint_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return paged(session, stmt, limit=limit, offset=offset)


def attempts_of(session: Session, delivery_ids: Iterable[int]) -> dict[int, list[DeliveryAttempt]]:
    ids = sorted(set(delivery_ids))
    if not ids:
        return {}
    stmt = (select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids))
            .order_by(DeliveryAttempt.id))
    out: dict[int, list[DeliveryAttempt]] = {}
    for attempt in session.execute(stmt).scalars():
        out.setdefault(attempt.delivery_id, []).append(attempt)
    return out


def org_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(sorted(ids)))
    return {int(i): str(n) for i, n in session.execute(stmt)}


# --- thresholds and reminders ------------------------------------------------------------


def threshold(session: Session, subject_type: str, subject_id: int) -> AlertThreshold | None:
    return session.get(AlertThreshold, (subject_type, subject_id))


def thresholds(session: Session, subject_type: str,
               subject_ids: Collection[int] | None = None) -> dict[int, AlertThreshold]:
    stmt = select(AlertThreshold).where(AlertThreshold.subject_type == subject_type)
    if subject_ids is not None:
        stmt = stmt.where(AlertThreshold.subject_id.in_(sorted(subject_ids)))
    return {t.subject_id: t for t in session.execute(stmt).scalars()}


def active_vouchers(session: Session, *, holder_ids: Collection[int] | None = None,
                    expiring_before: datetime | None = None) -> list[Voucher]:
    stmt = select(Voucher).where(Voucher.status == VoucherStatus.ACTIVE).order_by(Voucher.id)
    if holder_ids is not None:
        stmt = stmt.where(Voucher.holder_org_id.in_(sorted(holder_ids)))
    if expiring_before is not None:
        stmt = stmt.where(Voucher.valid_until <= expiring_before)
    return list(session.execute(stmt).scalars())


def vouchers_by_ids(session: Session, ids: Collection[int]) -> list[Voucher]:
    if not ids:
        return []
    stmt = select(Voucher).where(Voucher.id.in_(sorted(ids)),
                                 Voucher.status == VoucherStatus.ACTIVE)
    return list(session.execute(stmt).scalars())


def programs_by_ids(session: Session, ids: Collection[int]) -> list[Program]:
    if not ids:
        return []
    return list(session.execute(select(Program).where(Program.id.in_(sorted(ids)))).scalars())


def programs_of(session: Session, authority_ids: Collection[int]) -> list[Program]:
    stmt = (select(Program).where(Program.authority_org_id.in_(sorted(authority_ids)))
            .order_by(Program.id))
    return list(session.execute(stmt).scalars())


def contracts_starting(session: Session, *, after: datetime, until: datetime
                       ) -> list[Contract]:
    """Reserved contracts that start in (after, until]."""
    stmt = (select(Contract).where(Contract.state == ContractState.RESERVED,
                                   Contract.start_at > after, Contract.start_at <= until)
            .order_by(Contract.id))
    return list(session.execute(stmt).unique().scalars())
