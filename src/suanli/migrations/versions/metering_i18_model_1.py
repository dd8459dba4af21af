"""metering: model services (offers per million tokens, subscriptions, token usage)

Revision ID: metering_i18_model_1
Revises: metering_i13_usage_1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "metering_i18_model_1"
down_revision = "metering_i13_usage_1"
branch_labels = None
depends_on = ("vouchers_0001",)

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_offers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("provider_org_id", BIG_ID, nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("filing_number", sa.String(length=100), nullable=False),
        sa.Column("price_in_fen_per_m", sa.BigInteger(), nullable=False),
        sa.Column("price_out_fen_per_m", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"],
                                name=op.f("fk_model_offers_provider_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_offers")),
        sa.UniqueConstraint("provider_org_id", "model",
                            name=op.f("uq_model_offers_provider_org_id_model")))
    op.create_index(op.f("ix_model_offers_provider_org_id"), "model_offers",
                    ["provider_org_id"], unique=False)
    op.create_table(
        "model_subscriptions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("offer_id", BIG_ID, nullable=False),
        sa.Column("buyer_org_id", BIG_ID, nullable=False),
        sa.Column("provider_org_id", BIG_ID, nullable=False),
        sa.Column("voucher_id", BIG_ID, nullable=True),
        sa.Column("price_in_fen_per_m", sa.BigInteger(), nullable=False),
        sa.Column("price_out_fen_per_m", sa.BigInteger(), nullable=False),
        sa.Column("billed_tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("billed_tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("billed_fen", sa.BigInteger(), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("settlements", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["model_offers.id"],
                                name=op.f("fk_model_subscriptions_offer_id_model_offers")),
        sa.ForeignKeyConstraint(["buyer_org_id"], ["organisations.id"],
                                name=op.f("fk_model_subscriptions_buyer_org_id_organisations")),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organisations.id"],
            name=op.f("fk_model_subscriptions_provider_org_id_organisations")),
        sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"],
                                name=op.f("fk_model_subscriptions_voucher_id_vouchers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_subscriptions")))
    for column in ("offer_id", "buyer_org_id", "provider_org_id", "voucher_id"):
        op.create_index(op.f(f"ix_model_subscriptions_{column}"), "model_subscriptions",
                        [column], unique=False)
    op.create_table(
        "token_usage",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("subscription_id", BIG_ID, nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["model_subscriptions.id"],
            name=op.f("fk_token_usage_subscription_id_model_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_usage")),
        sa.UniqueConstraint("subscription_id", "source_ref",
                            name=op.f("uq_token_usage_subscription_id_source_ref")))
    op.create_index(op.f("ix_token_usage_subscription_id"), "token_usage",
                    ["subscription_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_token_usage_subscription_id"), table_name="token_usage")
    op.drop_table("token_usage")
    for column in ("offer_id", "buyer_org_id", "provider_org_id", "voucher_id"):
        op.drop_index(op.f(f"ix_model_subscriptions_{column}"), table_name="model_subscriptions")
    op.drop_table("model_subscriptions")
    op.drop_index(op.f("ix_model_offers_provider_org_id"), table_name="model_offers")
    op.drop_table("model_offers")
