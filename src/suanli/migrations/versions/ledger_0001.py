"""ledger: accounts, append-only transfers and entries, holds

Revision ID: ledger_0001
Revises: 0001_foundation
Create Date: 2026-11-28 12:32:50
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'ledger_0001'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
APPEND_ONLY = ('ledger_transfers', 'ledger_entries')


def _create_accounts() -> None:
    op.create_table('ledger_accounts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('owner_org_id', BIG_ID, nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('debits_must_not_exceed_credits', sa.Boolean(), nullable=False),
    sa.Column('credits_must_not_exceed_debits', sa.Boolean(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted', name=op.f('ck_ledger_accounts_credits_within_debits')),
    sa.CheckConstraint('NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted', name=op.f('ck_ledger_accounts_debits_within_credits')),
    sa.CheckConstraint('debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0', name=op.f('ck_ledger_accounts_totals_not_negative')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_ledger_accounts_owner_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_ledger_accounts_code'))
    )
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_owner_org_id'), ['owner_org_id'], unique=False)


def _create_transfers() -> None:
    op.create_table('ledger_transfers',
    sa.Column('id', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('debit_account_id', BIG_ID, nullable=False),
    sa.Column('credit_account_id', BIG_ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('pending_id', sa.String(length=160), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_ledger_transfers_amount_positive')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_ledger_transfers_distinct_accounts')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_credit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_debit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['pending_id'], ['ledger_transfers.id'], name=op.f('fk_ledger_transfers_pending_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfers'))
    )
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.create_index('uq_ledger_transfers_pending_id', ['pending_id'], unique=True, sqlite_where=sa.text('pending_id IS NOT NULL'), postgresql_where=sa.text('pending_id IS NOT NULL'))


def _create_entries_and_holds() -> None:
    op.create_table('ledger_entries',
    sa.Column('account_id', BIG_ID, autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('transfer_id', sa.String(length=160), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'version', name=op.f('pk_ledger_entries'))
    )
    op.create_table('ledger_holds',
    sa.Column('transfer_id', sa.String(length=160), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('resolved_by', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['ledger_transfers.id'], name=op.f('fk_ledger_holds_transfer_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_ledger_holds'))
    )
    with op.batch_alter_table('ledger_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_holds_state'), ['state'], unique=False)


def _create_append_only_triggers() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE) on transfers and entries: corrections are
    new transfers. Statement triggers cost nothing on INSERT."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        for name in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                       f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()")
        return
    for name in APPEND_ONLY:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {name}_no_{action.lower()} BEFORE {action} ON {name} "
                       f"BEGIN SELECT RAISE(ABORT, '{name} is append-only: {action} refused'); END")


def upgrade() -> None:
    _create_accounts()
    _create_transfers()
    _create_entries_and_holds()
    _create_append_only_triggers()


def downgrade() -> None:
    with op.batch_alter_table('ledger_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_holds_state'))
    op.drop_table('ledger_holds')
    op.drop_table('ledger_entries')
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.drop_index('uq_ledger_transfers_pending_id')
    op.drop_table('ledger_transfers')
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_owner_org_id'))
    op.drop_table('ledger_accounts')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")
