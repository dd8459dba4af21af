"""vouchers: excluded (affiliated) providers and the contract terms copied at issue

Revision ID: vouchers_i18_programs2_2
Revises: vouchers_i18_programs2_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_i18_programs2_2"
down_revision = "vouchers_i18_programs2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.add_column(sa.Column("excluded_providers", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("max_contract_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("contracts_signed_from", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vouchers") as batch:
        batch.drop_column("contracts_signed_from")
        batch.drop_column("max_contract_days")
        batch.drop_column("excluded_providers")
