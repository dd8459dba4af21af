"""market: contract placement (which GPUs serve a contract, and when)

Revision ID: market_i13_usage_1
Revises: market_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "market_i13_usage_1"
down_revision = "market_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("market_contract_gpus",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("contract_id", BIG_ID, nullable=False),
    sa.Column("gpu_uuid", sa.String(length=100), nullable=False),
    sa.Column("hostname", sa.String(length=255), nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("placed_by", sa.String(length=100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("until > since", name=op.f("ck_market_contract_gpus_span_forward")),
    sa.ForeignKeyConstraint(["contract_id"], ["market_contracts.id"], name=op.f("fk_market_contract_gpus_contract_id_market_contracts")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_market_contract_gpus"))
    )
    op.create_index(op.f("ix_market_contract_gpus_contract_id"), "market_contract_gpus", ["contract_id"], unique=False)
    op.create_index("ix_market_contract_gpus_gpu_uuid_since", "market_contract_gpus", ["gpu_uuid", "since"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_market_contract_gpus_gpu_uuid_since", table_name="market_contract_gpus")
    op.drop_index(op.f("ix_market_contract_gpus_contract_id"), table_name="market_contract_gpus")
    op.drop_table("market_contract_gpus")
