"""notifications: settings, preferences, inbox, webhooks, deliveries and their attempts,
alert thresholds

Revision ID: notifications_i19_notify_1
Revises: outbox_i19_notify_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifications_i19_notify_1"
down_revision = "outbox_i19_notify_1"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str | None = None
        ) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "notification_settings",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("notification_settings", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _fk("notification_preferences", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "topic", "channel",
                                name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("outbox_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("inbox", sa.Boolean(), nullable=False),
        sa.Column("digest_state", sa.String(length=8), nullable=True),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("read_at", WHEN, nullable=True),
        _fk("notifications", "outbox_id", "outbox_events"),
        _fk("notifications", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("outbox_id", "user_id",
                            name=op.f("uq_notifications_outbox_id_user_id")),
    )
    op.create_index("ix_notifications_user_id_inbox_read_at", "notifications",
                    ["user_id", "inbox", "read_at"], unique=False)
    op.create_index("ix_notifications_digest_state_user_id", "notifications",
                    ["digest_state", "user_id"], unique=False)
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organisation_id", BIG_ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("webhook_endpoints", "organisation_id", "organisations"),
        _fk("webhook_endpoints", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(op.f("ix_webhook_endpoints_organisation_id"), "webhook_endpoints",
                    ["organisation_id"], unique=False)
    op.create_table(
        "notification_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outbox_id", BIG_ID, nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("endpoint_id", BIG_ID, nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("items", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_attempt_at", WHEN, nullable=True),
        sa.Column("delivered_at", WHEN, nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _fk("notification_deliveries", "outbox_id", "outbox_events"),
        _fk("notification_deliveries", "user_id", "users", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoints.id"], ondelete="CASCADE",
            name=op.f("fk_notification_deliveries_endpoint_id_webhook_endpoints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_deliveries_key")),
    )
    op.create_index("ix_notification_deliveries_status_next_attempt_at",
                    "notification_deliveries", ["status", "next_attempt_at"], unique=False)
    for column in ("user_id", "endpoint_id", "organisation_id"):
        op.create_index(op.f(f"ix_notification_deliveries_{column}"),
                        "notification_deliveries", [column], unique=False)
    op.create_table(
        "notification_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["notification_deliveries.id"], ondelete="CASCADE",
            name=op.f("fk_notification_attempts_delivery_id_notification_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    op.create_index(op.f("ix_notification_attempts_delivery_id"), "notification_attempts",
                    ["delivery_id"], unique=False)
    op.create_table(
        "notification_thresholds",
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("threshold_fen", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", BIG_ID, nullable=False),
        sa.Column("set_by", BIG_ID, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("notification_thresholds", "organisation_id", "organisations"),
        _fk("notification_thresholds", "set_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("subject_type", "subject_id",
                                name=op.f("pk_notification_thresholds")),
    )


def downgrade() -> None:
    op.drop_table("notification_thresholds")
    op.drop_index(op.f("ix_notification_attempts_delivery_id"),
                  table_name="notification_attempts")
    op.drop_table("notification_attempts")
    for column in ("user_id", "endpoint_id", "organisation_id"):
        op.drop_index(op.f(f"ix_notification_deliveries_{column}"),
                      table_name="notification_deliveries")
    op.drop_index("ix_notification_deliveries_status_next_attempt_at",
                  table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index(op.f("ix_webhook_endpoints_organisation_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_notifications_digest_state_user_id", table_name="notifications")
    op.drop_index("ix_notifications_user_id_inbox_read_at", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notification_preferences")
    op.drop_table("notification_settings")
