"""programs: rates by applicant tier (programs.tiers)

Revision ID: programs_i18_programs2_1
Revises: programs_i13_money2_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_programs2_1"
down_revision = "programs_i13_money2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("tiers", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("tiers")
