"""applications: the call an application came in, and reviewers' approvals

Revision ID: applications_i18_programs2_3
Revises: applications_i18_programs2_2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "applications_i18_programs2_3"
down_revision = "applications_i18_programs2_2"
branch_labels = None
depends_on = "programs_i18_programs2_3"

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("approvals", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("call_id", BIG_ID, nullable=True))
        batch.create_foreign_key(op.f("fk_applications_call_id_program_calls"),
                                 "program_calls", ["call_id"], ["id"])
        batch.create_index(op.f("ix_applications_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_index(op.f("ix_applications_call_id"))
        batch.drop_constraint(op.f("fk_applications_call_id_program_calls"),
                              type_="foreignkey")
        batch.drop_column("call_id")
        batch.drop_column("approvals")
