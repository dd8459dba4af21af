"""metering: usage records found by GPU and time (joins across files, attribution)

Revision ID: metering_i13_usage_1
Revises: metering_0001
"""

from __future__ import annotations

from alembic import op

revision = "metering_i13_usage_1"
down_revision = "metering_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_usage_records_gpu_uuid_ended_at", "usage_records", ["gpu_uuid", "ended_at"], unique=False)
    op.create_index("ix_usage_records_gpu_uuid_started_at", "usage_records", ["gpu_uuid", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_usage_records_gpu_uuid_started_at", table_name="usage_records")
    op.drop_index("ix_usage_records_gpu_uuid_ended_at", table_name="usage_records")
