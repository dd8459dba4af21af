"""applications: organisation type and government-project lead in the startup profile

Revision ID: applications_i18_programs2_4
Revises: applications_i18_programs2_3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "applications_i18_programs2_4"
down_revision = "applications_i18_programs2_3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("startup_profiles") as batch:
        batch.add_column(sa.Column("organisation_type", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("project_lead", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("startup_profiles") as batch:
        batch.drop_column("project_lead")
        batch.drop_column("organisation_type")
