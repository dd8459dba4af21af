"""applications: the organisations a startup declares itself affiliated with

Revision ID: applications_i18_programs2_2
Revises: applications_i18_programs2_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "applications_i18_programs2_2"
down_revision = "applications_i18_programs2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("startup_profiles") as batch:
        batch.add_column(sa.Column("affiliates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("startup_profiles") as batch:
        batch.drop_column("affiliates")
