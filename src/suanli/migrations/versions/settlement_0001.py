"""settlement: chains of holds, contract settlements, invoices, reimbursement claims

Revision ID: settlement_0001
Revises: metering_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "settlement_0001"
down_revision = "metering_0001"
branch_labels = None
depends_on = ("programs_0001",)

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('buyer_org_id', BIG_ID, nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_invoices_buyer_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('buyer_org_id', 'period', name=op.f('uq_invoices_buyer_org_id_period')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    op.create_index(op.f('ix_invoices_period'), 'invoices', ['period'], unique=False)
    op.create_table('contract_settlements',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('contract_id', BIG_ID, nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('invoice_id', BIG_ID, nullable=False),
    sa.Column('buyer_org_id', BIG_ID, nullable=False),
    sa.Column('provider_org_id', BIG_ID, nullable=False),
    sa.Column('program_id', BIG_ID, nullable=True),
    sa.Column('voucher_id', sa.BigInteger(), nullable=True),
    sa.Column('mode', sa.String(length=32), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('gpu_seconds', sa.BigInteger(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_rate', sa.Numeric(precision=7, scale=6), nullable=False),
    sa.Column('charge_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_fen', sa.BigInteger(), nullable=False),
    sa.Column('buyer_fen', sa.BigInteger(), nullable=False),
    sa.Column('uncovered_fen', sa.BigInteger(), nullable=False),
    sa.Column('transfer_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_contract_settlements_buyer_org_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['market_contracts.id'], name=op.f('fk_contract_settlements_contract_id_market_contracts')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_contract_settlements_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_contract_settlements_program_id_programs')),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organisations.id'], name=op.f('fk_contract_settlements_provider_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_settlements')),
    sa.UniqueConstraint('contract_id', 'period', name=op.f('uq_contract_settlements_contract_id_period'))
    )
    op.create_index(op.f('ix_contract_settlements_buyer_org_id'), 'contract_settlements', ['buyer_org_id'], unique=False)
    op.create_index(op.f('ix_contract_settlements_invoice_id'), 'contract_settlements', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_contract_settlements_period'), 'contract_settlements', ['period'], unique=False)
    op.create_index(op.f('ix_contract_settlements_program_id'), 'contract_settlements', ['program_id'], unique=False)
    op.create_index('ix_contract_settlements_provider_org_id_period', 'contract_settlements', ['provider_org_id', 'period'], unique=False)
    op.create_table('settlement_hold_chains',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('contract_id', BIG_ID, nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('hold_id', sa.String(length=160), nullable=False),
    sa.Column('debit', sa.String(length=100), nullable=False),
    sa.Column('credit', sa.String(length=100), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('earmarked', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['market_contracts.id'], name=op.f('fk_settlement_hold_chains_contract_id_market_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_hold_chains')),
    sa.UniqueConstraint('contract_id', 'side', name=op.f('uq_settlement_hold_chains_contract_id_side'))
    )
    op.create_table('reimbursement_claims',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('settlement_id', BIG_ID, nullable=False),
    sa.Column('contract_id', BIG_ID, nullable=False),
    sa.Column('program_id', BIG_ID, nullable=False),
    sa.Column('voucher_id', sa.BigInteger(), nullable=False),
    sa.Column('authority_org_id', BIG_ID, nullable=False),
    sa.Column('claimant_org_id', BIG_ID, nullable=False),
    sa.Column('mode', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('decided_by_user_id', BIG_ID, nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_org_id'], ['organisations.id'], name=op.f('fk_reimbursement_claims_authority_org_id_organisations')),
    sa.ForeignKeyConstraint(['claimant_org_id'], ['organisations.id'], name=op.f('fk_reimbursement_claims_claimant_org_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['market_contracts.id'], name=op.f('fk_reimbursement_claims_contract_id_market_contracts')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_reimbursement_claims_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_reimbursement_claims_program_id_programs')),
    sa.ForeignKeyConstraint(['settlement_id'], ['contract_settlements.id'], name=op.f('fk_reimbursement_claims_settlement_id_contract_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reimbursement_claims')),
    sa.UniqueConstraint('settlement_id', name=op.f('uq_reimbursement_claims_settlement_id'))
    )
    op.create_index('ix_reimbursement_claims_authority_org_id_status', 'reimbursement_claims', ['authority_org_id', 'status'], unique=False)
    op.create_index(op.f('ix_reimbursement_claims_claimant_org_id'), 'reimbursement_claims', ['claimant_org_id'], unique=False)
    op.create_index(op.f('ix_reimbursement_claims_contract_id'), 'reimbursement_claims', ['contract_id'], unique=False)
    op.create_index(op.f('ix_reimbursement_claims_program_id'), 'reimbursement_claims', ['program_id'], unique=False)


def downgrade() -> None:

    op.drop_index(op.f('ix_reimbursement_claims_program_id'), table_name='reimbursement_claims')
    op.drop_index(op.f('ix_reimbursement_claims_contract_id'), table_name='reimbursement_claims')
    op.drop_index(op.f('ix_reimbursement_claims_claimant_org_id'), table_name='reimbursement_claims')
    op.drop_index('ix_reimbursement_claims_authority_org_id_status', table_name='reimbursement_claims')
    op.drop_table('reimbursement_claims')
    op.drop_table('settlement_hold_chains')
    op.drop_index('ix_contract_settlements_provider_org_id_period', table_name='contract_settlements')
    op.drop_index(op.f('ix_contract_settlements_program_id'), table_name='contract_settlements')
    op.drop_index(op.f('ix_contract_settlements_period'), table_name='contract_settlements')
    op.drop_index(op.f('ix_contract_settlements_invoice_id'), table_name='contract_settlements')
    op.drop_index(op.f('ix_contract_settlements_buyer_org_id'), table_name='contract_settlements')
    op.drop_table('contract_settlements')
    op.drop_index(op.f('ix_invoices_period'), table_name='invoices')
    op.drop_table('invoices')
