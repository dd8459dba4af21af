"""settlement: what a settlement and its claim bill (usage, cancellation, adjustment)

Revision ID: settlement_i13_money2_1
Revises: settlement_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "settlement_i13_money2_1"
down_revision = "settlement_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("contract_settlements", "reimbursement_claims"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                       server_default="usage"))


def downgrade() -> None:
    for table in ("contract_settlements", "reimbursement_claims"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("kind")
