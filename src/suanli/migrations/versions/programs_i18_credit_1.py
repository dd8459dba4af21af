"""programs: post-paid credit lines and their monthly bills

Revision ID: programs_i18_credit_1
Revises: programs_i18_cofund_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_i18_credit_1"
down_revision = "programs_i18_cofund_1"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("credit_lines", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table("credit_lines",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("program_id", BIG_ID, nullable=False),
    sa.Column("buyer_org_id", BIG_ID, nullable=False),
    sa.Column("limit_fen", sa.BigInteger(), nullable=False),
    sa.Column("due_days", sa.Integer(), nullable=False),
    sa.Column("account_code", sa.String(length=100), nullable=False),
    sa.Column("changes", sa.Integer(), nullable=False),
    sa.Column("created_by", BIG_ID, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("limit_fen >= 0", name=op.f("ck_credit_lines_limit_not_negative")),
    sa.CheckConstraint("due_days >= 0", name=op.f("ck_credit_lines_due_days_not_negative")),
    sa.ForeignKeyConstraint(["buyer_org_id"], ["organisations.id"], name=op.f("fk_credit_lines_buyer_org_id_organisations")),
    sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_credit_lines_created_by_users")),
    sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_credit_lines_program_id_programs")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lines")),
    sa.UniqueConstraint("buyer_org_id", name=op.f("uq_credit_lines_buyer_org_id"))
    )
    op.create_index(op.f("ix_credit_lines_program_id"), "credit_lines", ["program_id"], unique=False)
    op.create_table("credit_bills",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("credit_line_id", BIG_ID, nullable=False),
    sa.Column("buyer_org_id", BIG_ID, nullable=False),
    sa.Column("month", sa.String(length=7), nullable=False),
    sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    sa.Column("paid_fen", sa.BigInteger(), nullable=False),
    sa.Column("payments", sa.Integer(), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name=op.f("ck_credit_bills_paid_within_amount")),
    sa.ForeignKeyConstraint(["buyer_org_id"], ["organisations.id"], name=op.f("fk_credit_bills_buyer_org_id_organisations")),
    sa.ForeignKeyConstraint(["credit_line_id"], ["credit_lines.id"], name=op.f("fk_credit_bills_credit_line_id_credit_lines")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_bills")),
    sa.UniqueConstraint("credit_line_id", "month", name=op.f("uq_credit_bills_credit_line_id_month"))
    )
    op.create_index(op.f("ix_credit_bills_buyer_org_id"), "credit_bills", ["buyer_org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_bills_buyer_org_id"), table_name="credit_bills")
    op.drop_table("credit_bills")
    op.drop_index(op.f("ix_credit_lines_program_id"), table_name="credit_lines")
    op.drop_table("credit_lines")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("credit_lines")
