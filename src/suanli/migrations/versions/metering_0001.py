"""metering: usage import batches and usage records

Revision ID: metering_0001
Revises: market_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "metering_0001"
down_revision = "market_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('usage_batches',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('run', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('organisation_id', BIG_ID, nullable=True),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_usage_batches_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_batches'))
    )
    op.create_index(op.f('ix_usage_batches_organisation_id'), 'usage_batches', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_usage_batches_run'), 'usage_batches', ['run'], unique=False)
    op.create_table('usage_records',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('batch_id', BIG_ID, nullable=False),
    sa.Column('contract_id', BIG_ID, nullable=False),
    sa.Column('provider_org_id', BIG_ID, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=200), nullable=False),
    sa.Column('gpu_uuid', sa.String(length=100), nullable=False),
    sa.Column('gpus', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('gpu_seconds', sa.BigInteger(), nullable=False),
    sa.Column('billable_gpu_seconds', sa.BigInteger(), nullable=False),
    sa.Column('utilisation_pct', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=True),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('settlement_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['usage_batches.id'], name=op.f('fk_usage_records_batch_id_usage_batches')),
    sa.ForeignKeyConstraint(['contract_id'], ['market_contracts.id'], name=op.f('fk_usage_records_contract_id_market_contracts')),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organisations.id'], name=op.f('fk_usage_records_provider_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_records')),
    sa.UniqueConstraint('contract_id', 'source', 'source_ref', 'gpu_uuid', name=op.f('uq_usage_records_contract_id_source_source_ref_gpu_uuid'))
    )
    op.create_index(op.f('ix_usage_records_batch_id'), 'usage_records', ['batch_id'], unique=False)
    op.create_index('ix_usage_records_contract_id_ended_at', 'usage_records', ['contract_id', 'ended_at'], unique=False)
    op.create_index(op.f('ix_usage_records_provider_org_id'), 'usage_records', ['provider_org_id'], unique=False)
    op.create_index(op.f('ix_usage_records_settlement_id'), 'usage_records', ['settlement_id'], unique=False)


def downgrade() -> None:

    op.drop_index(op.f('ix_usage_records_settlement_id'), table_name='usage_records')
    op.drop_index(op.f('ix_usage_records_provider_org_id'), table_name='usage_records')
    op.drop_index('ix_usage_records_contract_id_ended_at', table_name='usage_records')
    op.drop_index(op.f('ix_usage_records_batch_id'), table_name='usage_records')
    op.drop_table('usage_records')
    op.drop_index(op.f('ix_usage_batches_run'), table_name='usage_batches')
    op.drop_index(op.f('ix_usage_batches_organisation_id'), table_name='usage_batches')
    op.drop_table('usage_batches')
