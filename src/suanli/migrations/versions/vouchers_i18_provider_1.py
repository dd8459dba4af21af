"""vouchers: the provider halves of paired vouchers

Revision ID: vouchers_i18_provider_1
Revises: vouchers_i18_model_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_i18_provider_1"
down_revision = "vouchers_i18_model_1"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("paired_vouchers",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("voucher_id", BIG_ID, nullable=False),
    sa.Column("provider_org_id", BIG_ID, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"], name=op.f("fk_paired_vouchers_voucher_id_vouchers")),
    sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"], name=op.f("fk_paired_vouchers_provider_org_id_organisations")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_paired_vouchers")),
    sa.UniqueConstraint("voucher_id", name=op.f("uq_paired_vouchers_voucher_id"))
    )
    op.create_index(op.f("ix_paired_vouchers_provider_org_id"), "paired_vouchers", ["provider_org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_paired_vouchers_provider_org_id"), table_name="paired_vouchers")
    op.drop_table("paired_vouchers")
