"""grants: capacity grants to providers

Revision ID: grants_i18_provider_1
Revises: market_i13_usage_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "grants_i18_provider_1"
down_revision = "market_i13_usage_1"
branch_labels = None
depends_on = ("programs_i18_provider_1", "documents_0001")

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("capacity_grants",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("program_id", BIG_ID, nullable=False),
    sa.Column("cluster_id", BIG_ID, nullable=False),
    sa.Column("provider_org_id", BIG_ID, nullable=False),
    sa.Column("purchase_fen", sa.BigInteger(), nullable=False),
    sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    sa.Column("share_bp", sa.Integer(), nullable=False),
    sa.Column("cap_fen", sa.BigInteger(), nullable=True),
    sa.Column("listing_days", sa.Integer(), nullable=False),
    sa.Column("evidence_document_ids", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("submitted_by", BIG_ID, nullable=True),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", BIG_ID, nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decision_reason", sa.Text(), nullable=True),
    sa.Column("gpus_listed", sa.Integer(), nullable=True),
    sa.Column("listed_from", sa.DateTime(timezone=True), nullable=True),
    sa.Column("listed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("clawed_back_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("clawback_reason", sa.Text(), nullable=True),
    sa.CheckConstraint("purchase_fen > 0", name=op.f("ck_capacity_grants_purchase_positive")),
    sa.CheckConstraint("amount_fen > 0 AND amount_fen <= purchase_fen",
                       name=op.f("ck_capacity_grants_amount_within")),
    sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_capacity_grants_program_id_programs")),
    sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name=op.f("fk_capacity_grants_cluster_id_clusters")),
    sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"], name=op.f("fk_capacity_grants_provider_org_id_organisations")),
    sa.ForeignKeyConstraint(["submitted_by"], ["users.id"], name=op.f("fk_capacity_grants_submitted_by_users")),
    sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_capacity_grants_decided_by_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_grants"))
    )
    op.create_index(op.f("ix_capacity_grants_program_id"), "capacity_grants", ["program_id"], unique=False)
    op.create_index(op.f("ix_capacity_grants_provider_org_id"), "capacity_grants", ["provider_org_id"], unique=False)
    op.create_index("ix_capacity_grants_cluster_id_status", "capacity_grants", ["cluster_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_capacity_grants_cluster_id_status", table_name="capacity_grants")
    op.drop_index(op.f("ix_capacity_grants_provider_org_id"), table_name="capacity_grants")
    op.drop_index(op.f("ix_capacity_grants_program_id"), table_name="capacity_grants")
    op.drop_table("capacity_grants")
