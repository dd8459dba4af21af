"""programs: what a program's vouchers pay for (GPU-hours or model-service tokens); a
funding of one funder's account

Revision ID: programs_i18_model_1
Revises: programs_i18_credit_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_model_1"
down_revision = "programs_i18_credit_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("voucher_unit", sa.String(length=16), nullable=False,
                                   server_default="gpu_hours"))
    with op.batch_alter_table("program_fundings") as batch:
        batch.add_column(sa.Column("funder_index", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("program_fundings") as batch:
        batch.drop_column("funder_index")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("voucher_unit")
