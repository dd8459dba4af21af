"""vouchers: the rate tier a voucher was issued under

Revision ID: vouchers_i18_programs2_1
Revises: vouchers_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_i18_programs2_1"
down_revision = "vouchers_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.add_column(sa.Column("tier_key", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.drop_column("tier_key")
