"""applications: the provider named for a paired voucher

Revision ID: applications_i18_provider_1
Revises: applications_i18_programs2_4
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "applications_i18_provider_1"
down_revision = "applications_i18_programs2_4"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("paired_provider_org_id", BIG_ID, nullable=True))
        batch.create_foreign_key(op.f("fk_applications_paired_provider_org_id_organisations"),
                                 "organisations", ["paired_provider_org_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint(op.f("fk_applications_paired_provider_org_id_organisations"),
                              type_="foreignkey")
        batch.drop_column("paired_provider_org_id")
