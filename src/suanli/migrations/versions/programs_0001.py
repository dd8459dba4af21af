"""programs: voucher programs and the fundings of their budgets

Revision ID: programs_0001
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "programs_0001"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('programs',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('authority_org_id', BIG_ID, nullable=False),
    sa.Column('preset_key', sa.String(length=64), nullable=True),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_min_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_max_fen', sa.BigInteger(), nullable=False),
    sa.Column('default_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_state_bp', sa.Integer(), nullable=False),
    sa.Column('rate_commercial_bp', sa.Integer(), nullable=False),
    sa.Column('domestic_bonus_bp', sa.Integer(), nullable=False),
    sa.Column('max_rate_bp', sa.Integer(), nullable=False),
    sa.Column('provider_mode', sa.String(length=16), nullable=False),
    sa.Column('provider_slugs', sa.JSON(), nullable=False),
    sa.Column('cap_per_firm_fen', sa.BigInteger(), nullable=True),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('window_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('auto_approve', sa.Boolean(), nullable=False),
    sa.Column('forbid_other_subsidies', sa.Boolean(), nullable=False),
    sa.Column('redemption_mode', sa.String(length=32), nullable=False),
    sa.Column('eligibility_text', sa.String(length=1000), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('illustrative', sa.Boolean(), nullable=False),
    sa.Column('illustrative_fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_org_id'], ['organisations.id'], name=op.f('fk_programs_authority_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    op.create_index(op.f('ix_programs_authority_org_id'), 'programs', ['authority_org_id'], unique=False)
    op.create_table('program_fundings',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('program_id', BIG_ID, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('transfer_id', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_program_fundings_created_by_users')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_fundings_program_id_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_fundings')),
    sa.UniqueConstraint('program_id', 'seq', name=op.f('uq_program_fundings_program_id_seq')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_program_fundings_transfer_id'))
    )
    op.create_index(op.f('ix_program_fundings_program_id'), 'program_fundings', ['program_id'], unique=False)


def downgrade() -> None:
    op.drop_table("program_fundings")
    op.drop_table("programs")
