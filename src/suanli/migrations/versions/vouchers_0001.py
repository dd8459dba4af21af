"""vouchers: issued vouchers and returns of unspent money

Revision ID: vouchers_0001
Revises: programs_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vouchers_0001"
down_revision = "programs_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('vouchers',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('program_id', BIG_ID, nullable=False),
    sa.Column('holder_org_id', BIG_ID, nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=True),
    sa.Column('face_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_state_bp', sa.Integer(), nullable=False),
    sa.Column('rate_commercial_bp', sa.Integer(), nullable=False),
    sa.Column('domestic_bonus_bp', sa.Integer(), nullable=False),
    sa.Column('max_rate_bp', sa.Integer(), nullable=False),
    sa.Column('provider_mode', sa.String(length=16), nullable=False),
    sa.Column('provider_slugs', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('residual', sa.Boolean(), nullable=False),
    sa.Column('issued_by', BIG_ID, nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['holder_org_id'], ['organisations.id'], name=op.f('fk_vouchers_holder_org_id_organisations')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_vouchers_issued_by_users')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_vouchers_program_id_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers')),
    sa.UniqueConstraint('application_id', name=op.f('uq_vouchers_application_id'))
    )
    op.create_index(op.f('ix_vouchers_holder_org_id'), 'vouchers', ['holder_org_id'], unique=False)
    op.create_index(op.f('ix_vouchers_program_id'), 'vouchers', ['program_id'], unique=False)
    op.create_index(op.f('ix_vouchers_status'), 'vouchers', ['status'], unique=False)
    op.create_index(op.f('ix_vouchers_valid_until'), 'vouchers', ['valid_until'], unique=False)
    op.create_table('voucher_returns',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('voucher_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('transfer_id', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_voucher_returns_created_by_users')),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_returns_voucher_id_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_returns')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_voucher_returns_transfer_id'))
    )
    op.create_index(op.f('ix_voucher_returns_voucher_id'), 'voucher_returns', ['voucher_id'], unique=False)


def downgrade() -> None:
    op.drop_table("voucher_returns")
    op.drop_table("vouchers")
