"""programs: settlement settings (partial vouchers, cancellation subsidy, late usage)

Revision ID: programs_i13_money2_1
Revises: programs_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i13_money2_1"
down_revision = "programs_0001"
branch_labels = None
depends_on = None

COLUMNS = ("partial_vouchers", "subsidise_cancellation", "refuse_late_usage")


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
