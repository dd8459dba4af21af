"""programs: co-funding (funders sharing a program's budget, each with its own account)

Revision ID: programs_i18_cofund_1
Revises: programs_i18_programs2_3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_cofund_1"
down_revision = "programs_i18_programs2_3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("funders", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("funders")
