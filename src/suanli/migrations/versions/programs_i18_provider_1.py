"""programs: capacity grants to providers (terms per program), paired vouchers

Revision ID: programs_i18_provider_1
Revises: programs_i18_model_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_provider_1"
down_revision = "programs_i18_model_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("capacity_grant", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("paired_vouchers", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("paired_vouchers")
        batch.drop_column("capacity_grant")
