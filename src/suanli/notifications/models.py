"""Tables of the notifications domain.

`notifications` is what a user was told of (the inbox, and events waiting for a digest);
`notification_deliveries` is each message to send (an e-mail to a user, a webhook call to an
organisation's endpoint, a daily digest) with its retries, and `notification_attempts` the
log of every try.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"
    DIGEST = "digest"  # a daily e-mail gathering a user's events


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (a claimed one: when its lease ends)
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


class DigestState(StrEnum):
    QUEUED = "queued"  # waits for the user's next daily digest
    SENT = "sent"  # included in a digest delivery


class NotificationSettings(Base):
    """A user's address and language for e-mail, and whether e-mail comes as a daily
    digest instead of one message per event."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="en")
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationPreference(Base):
    """A user's choice for one topic and channel (no row: the topic's default)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class Notification(Base):
    """One event told to one user: shown in the inbox, queued for a digest, or both."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("outbox_id", "user_id"),
                      Index("ix_notifications_user_id_inbox_read_at", "user_id", "inbox",
                            "read_at"),
                      Index("ix_notifications_digest_state_user_id", "digest_state",
                            "user_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    inbox: Mapped[bool] = mapped_column(Boolean)
    digest_state: Mapped[DigestState | None] = mapped_column(String(8))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """Where an organisation wants its events posted, signed with `secret`."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    topics: Mapped[list[str]] = mapped_column(JSONDoc)  # empty: every topic
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One message to send, retried with backoff until delivered or given up."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_status_next_attempt_at", "status",
                            "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Unique per message: "e:<outbox id>:email:<user>", ":webhook:<endpoint>",
    # "digest:<user>:<day>", so a dispatch or digest run twice adds nothing.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(String(16))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_events.id"))
    event_id: Mapped[str] = mapped_column(String(64))  # what receivers dedup by
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    target: Mapped[str] = mapped_column(String(2000))  # the address or URL when created
    items: Mapped[list[int] | None] = mapped_column(JSONDoc)  # a digest's notification ids
    status: Mapped[DeliveryStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # of the causing change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class DeliveryAttempt(Base):
    """One try of a delivery: the response code (SMTP or HTTP) or the error."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class AlertThreshold(Base):
    """A balance below which its owner is warned once: a voucher's (set by its holder) or
    a program budget's (set by its bureau)."""

    __tablename__ = "notification_thresholds"

    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True,
                                            autoincrement=False)
    threshold_fen: Mapped[int] = mapped_column(BigInteger)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
