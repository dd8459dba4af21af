"""programs: calls for applications, release in tranches, second reviewer above a value

Revision ID: programs_i18_programs2_3
Revises: programs_i18_programs2_2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_programs2_3"
down_revision = "programs_i18_programs2_2"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("tranches", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("second_review_above_fen", sa.BigInteger(), nullable=True))
    op.create_table("program_calls",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("program_id", BIG_ID, nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("budget_fen", sa.BigInteger(), nullable=False),
    sa.Column("created_by", BIG_ID, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_program_calls_created_by_users")),
    sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_program_calls_program_id_programs")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_program_calls"))
    )
    op.create_index(op.f("ix_program_calls_program_id"), "program_calls", ["program_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_program_calls_program_id"), table_name="program_calls")
    op.drop_table("program_calls")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("second_review_above_fen")
        batch.drop_column("tranches")
