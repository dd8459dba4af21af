"""vouchers: a tier's own split across the funders, and what the voucher pays for

Revision ID: vouchers_i18_model_1
Revises: vouchers_i18_programs2_3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_i18_model_1"
down_revision = "vouchers_i18_programs2_3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.add_column(sa.Column("funder_shares", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("unit", sa.String(length=16), nullable=False,
                                   server_default="gpu_hours"))


def downgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.drop_column("unit")
        batch.drop_column("funder_shares")
