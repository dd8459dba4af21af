"""integrity: stored results of the audit-chain and ledger verifications

Revision ID: integrity_0001
Revises: ledger_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "integrity_0001"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "integrity_checks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_by_user_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_checks")),
    )
    op.create_index("ix_integrity_checks_subject_finished_at", "integrity_checks",
                    ["subject", "finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_integrity_checks_subject_finished_at", table_name="integrity_checks")
    op.drop_table("integrity_checks")
