"""Making events and recipients for the notifications tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli import outbox
from suanli.notifications.models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationSettings,
    WebhookEndpoint,
)
from suanli.outbox.models import OutboxEvent


def contact(db: Session, user_id: int, email: str | None, *, language: str = "en",
            digest: bool = False) -> None:
    db.add(NotificationSettings(user_id=user_id, email=email, language=language,
                                digest=digest))
    db.commit()


def prefer(db: Session, user_id: int, topic: str, channel: str, enabled: bool) -> None:
    db.add(NotificationPreference(user_id=user_id, topic=topic, channel=channel,
                                  enabled=enabled))
    db.commit()


def endpoint(db: Session, org_id: int, url: str, *, secret: str = "whsec_test",  # noqa: S107
             topics: list[str] | None = None) -> WebhookEndpoint:
    row = WebhookEndpoint(organisation_id=org_id, url=url, secret=secret,
                          topics=topics or [], active=True)
    db.add(row)
    db.commit()
    return row


def voucher_issued(db: Session, org_id: int, *, voucher_id: int = 7,
                   at: datetime | None = None, commit: bool = True) -> OutboxEvent:
    event = outbox.emit(db, "voucher.issued", subject=("voucher", voucher_id),
                        orgs={"buyer": org_id}, at=at, payload={
                            "voucher_id": voucher_id, "program_id": 1,
                            "value_fen": 100_000_000, "valid_until": "2027-01-31T16:00:00"
                                                                     "+00:00"})
    assert event is not None
    if commit:
        db.commit()
    return event


def rows(db: Session, model: Any) -> list[Any]:
    db.expire_all()
    return list(db.execute(select(model).order_by(model.id)).scalars())


def deliveries(db: Session) -> list[Delivery]:
    return rows(db, Delivery)


def attempts(db: Session) -> list[DeliveryAttempt]:
    return rows(db, DeliveryAttempt)


def inbox_rows(db: Session) -> list[Notification]:
    return rows(db, Notification)


def events(db: Session) -> list[OutboxEvent]:
    return rows(db, OutboxEvent)
