"""providers: a data centre's time zone (for exports that print local times)

Revision ID: providers_i13_usage_1
Revises: providers_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "providers_i13_usage_1"
down_revision = "providers_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_centres") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_centres") as batch:
        batch.drop_column("time_zone")
