"""vouchers: the release plan (tranches) of a voucher

Revision ID: vouchers_i18_programs2_3
Revises: vouchers_i18_programs2_2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_i18_programs2_3"
down_revision = "vouchers_i18_programs2_2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.add_column(sa.Column("tranches", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.drop_column("tranches")
