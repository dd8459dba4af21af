"""programs: contract terms (longest contract, signed from) and refusing affiliated providers

Revision ID: programs_i18_programs2_2
Revises: programs_i18_programs2_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_programs2_2"
down_revision = "programs_i18_programs2_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("max_contract_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("contracts_signed_from", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("no_affiliated_providers", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("no_affiliated_providers")
        batch.drop_column("contracts_signed_from")
        batch.drop_column("max_contract_days")
