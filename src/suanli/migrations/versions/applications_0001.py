"""applications: startup profiles, applications and their events

Revision ID: applications_0001
Revises: vouchers_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "applications_0001"
down_revision = "vouchers_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('startup_profiles',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('organisation_id', BIG_ID, nullable=False),
    sa.Column('registered_city', sa.String(length=64), nullable=True),
    sa.Column('annual_revenue_fen', sa.BigInteger(), nullable=True),
    sa.Column('research_project_member', sa.Boolean(), nullable=True),
    sa.Column('research_project_number', sa.String(length=100), nullable=True),
    sa.Column('headcount', sa.Integer(), nullable=True),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.Column('model_filings', sa.Integer(), nullable=True),
    sa.Column('credit_record', sa.String(length=16), nullable=True),
    sa.Column('other_subsidies', sa.JSON(), nullable=True),
    sa.Column('updated_by', BIG_ID, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_startup_profiles_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_startup_profiles_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_startup_profiles')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_startup_profiles_organisation_id'))
    )
    op.create_table('applications',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('program_id', BIG_ID, nullable=False),
    sa.Column('organisation_id', BIG_ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_slot', sa.Boolean(), nullable=True),
    sa.Column('requested_value_fen', sa.BigInteger(), nullable=True),
    sa.Column('value_fen', sa.BigInteger(), nullable=True),
    sa.Column('profile', sa.JSON(), nullable=True),
    sa.Column('evaluation', sa.JSON(), nullable=True),
    sa.Column('decision_reason', sa.String(length=1000), nullable=True),
    sa.Column('decided_by', BIG_ID, nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voucher_id', BIG_ID, nullable=True),
    sa.Column('created_by', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_applications_created_by_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_applications_decided_by_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_applications_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_applications_program_id_programs')),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_applications_voucher_id_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('program_id', 'organisation_id', 'open_slot', name=op.f('uq_applications_program_id_organisation_id_open_slot'))
    )
    op.create_index(op.f('ix_applications_organisation_id'), 'applications', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_applications_program_id'), 'applications', ['program_id'], unique=False)
    op.create_index(op.f('ix_applications_status'), 'applications', ['status'], unique=False)
    op.create_table('application_events',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('application_id', BIG_ID, nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_user_id', BIG_ID, nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_application_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    op.create_index(op.f('ix_application_events_application_id'), 'application_events', ['application_id'], unique=False)


def downgrade() -> None:
    op.drop_table("application_events")
    op.drop_table("applications")
    op.drop_table("startup_profiles")
