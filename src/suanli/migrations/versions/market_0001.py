"""market: offers, orders, clearing rounds, contracts

Revision ID: market_0001
Revises: providers_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "market_0001"
down_revision = "providers_0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("market_orders",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("organisation_id", BIG_ID, nullable=False),
    sa.Column("placed_by_user_id", BIG_ID, nullable=True),
    sa.Column("accelerators", sa.JSON(), nullable=False),
    sa.Column("min_memory_gb", sa.Integer(), nullable=True),
    sa.Column("min_tflops", sa.Integer(), nullable=True),
    sa.Column("gpus", sa.Integer(), nullable=False),
    sa.Column("duration_hours", sa.Integer(), nullable=False),
    sa.Column("earliest_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("latest_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("limit_fen", sa.BigInteger(), nullable=False),
    sa.Column("voucher_id", sa.BigInteger(), nullable=True),
    sa.Column("origin_city_id", sa.String(length=64), nullable=True),
    sa.Column("max_latency_ms", sa.Integer(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("status_reason", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("duration_hours > 0", name=op.f("ck_market_orders_duration_positive")),
    sa.CheckConstraint("gpus > 0", name=op.f("ck_market_orders_gpus_positive")),
    sa.CheckConstraint("latest_end > earliest_start", name=op.f("ck_market_orders_window_forward")),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], name=op.f("fk_market_orders_organisation_id_organisations")),
    sa.ForeignKeyConstraint(["origin_city_id"], ["cities.id"], name=op.f("fk_market_orders_origin_city_id_cities")),
    sa.ForeignKeyConstraint(["placed_by_user_id"], ["users.id"], name=op.f("fk_market_orders_placed_by_user_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_market_orders"))
    )
    op.create_index(op.f("ix_market_orders_organisation_id"), "market_orders", ["organisation_id"], unique=False)
    op.create_index(op.f("ix_market_orders_status"), "market_orders", ["status"], unique=False)
    op.create_table("market_rounds",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("trigger", sa.String(length=16), nullable=False),
    sa.Column("started_by_user_id", BIG_ID, nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("horizon_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("slot_hours", sa.Integer(), nullable=False),
    sa.Column("slots", sa.Integer(), nullable=False),
    sa.Column("time_limit_s", sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column("snapshot", sa.JSON(), nullable=True),
    sa.Column("result", sa.JSON(), nullable=True),
    sa.Column("left_out", sa.JSON(), nullable=True),
    sa.Column("shadow_prices", sa.JSON(), nullable=True),
    sa.Column("contracts_written", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["started_by_user_id"], ["users.id"], name=op.f("fk_market_rounds_started_by_user_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_market_rounds"))
    )
    op.create_table("market_offers",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("organisation_id", BIG_ID, nullable=False),
    sa.Column("cluster_id", BIG_ID, nullable=False),
    sa.Column("accelerator_model", sa.String(length=64), nullable=False),
    sa.Column("gpus", sa.Integer(), nullable=False),
    sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ask_fen", sa.BigInteger(), nullable=False),
    sa.Column("min_lease_hours", sa.Integer(), nullable=False),
    sa.Column("service_class", sa.String(length=16), nullable=False),
    sa.Column("cancel_fee_rate", sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("ask_fen > 0", name=op.f("ck_market_offers_ask_positive")),
    sa.CheckConstraint("end_at > start_at", name=op.f("ck_market_offers_window_forward")),
    sa.CheckConstraint("gpus > 0", name=op.f("ck_market_offers_gpus_positive")),
    sa.ForeignKeyConstraint(["accelerator_model"], ["accelerators.model"], name=op.f("fk_market_offers_accelerator_model_accelerators")),
    sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name=op.f("fk_market_offers_cluster_id_clusters")),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], name=op.f("fk_market_offers_organisation_id_organisations")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_market_offers"))
    )
    op.create_index(op.f("ix_market_offers_cluster_id"), "market_offers", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_market_offers_organisation_id"), "market_offers", ["organisation_id"], unique=False)
    op.create_index("ix_market_offers_status_model", "market_offers", ["status", "accelerator_model"], unique=False)
    op.create_table("market_contracts",
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("source", sa.String(length=16), nullable=False),
    sa.Column("order_id", BIG_ID, nullable=True),
    sa.Column("round_id", BIG_ID, nullable=True),
    sa.Column("offer_id", BIG_ID, nullable=False),
    sa.Column("buyer_org_id", BIG_ID, nullable=False),
    sa.Column("provider_org_id", BIG_ID, nullable=False),
    sa.Column("accelerator_model", sa.String(length=64), nullable=False),
    sa.Column("gpus", sa.Integer(), nullable=False),
    sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("gpu_hours", sa.BigInteger(), nullable=False),
    sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
    sa.Column("subsidy_rate", sa.Numeric(precision=7, scale=6), nullable=False),
    sa.Column("cost_fen", sa.BigInteger(), nullable=False),
    sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
    sa.Column("buyer_pays_fen", sa.BigInteger(), nullable=False),
    sa.Column("voucher_id", sa.BigInteger(), nullable=True),
    sa.Column("voucher_hold_id", sa.String(length=100), nullable=True),
    sa.Column("buyer_hold_id", sa.String(length=100), nullable=True),
    sa.Column("state", sa.String(length=16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("running_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancel_charge_fen", sa.BigInteger(), nullable=True),
    sa.CheckConstraint("end_at > start_at", name=op.f("ck_market_contracts_window_forward")),
    sa.CheckConstraint("gpus > 0", name=op.f("ck_market_contracts_gpus_positive")),
    sa.CheckConstraint("subsidy_fen + buyer_pays_fen = cost_fen", name=op.f("ck_market_contracts_money_adds_up")),
    sa.ForeignKeyConstraint(["buyer_org_id"], ["organisations.id"], name=op.f("fk_market_contracts_buyer_org_id_organisations")),
    sa.ForeignKeyConstraint(["offer_id"], ["market_offers.id"], name=op.f("fk_market_contracts_offer_id_market_offers")),
    sa.ForeignKeyConstraint(["order_id"], ["market_orders.id"], name=op.f("fk_market_contracts_order_id_market_orders")),
    sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"], name=op.f("fk_market_contracts_provider_org_id_organisations")),
    sa.ForeignKeyConstraint(["round_id"], ["market_rounds.id"], name=op.f("fk_market_contracts_round_id_market_rounds")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_market_contracts"))
    )
    op.create_index(op.f("ix_market_contracts_buyer_org_id"), "market_contracts", ["buyer_org_id"], unique=False)
    op.create_index("ix_market_contracts_offer_state", "market_contracts", ["offer_id", "state"], unique=False)
    op.create_index(op.f("ix_market_contracts_order_id"), "market_contracts", ["order_id"], unique=False)
    op.create_index(op.f("ix_market_contracts_provider_org_id"), "market_contracts", ["provider_org_id"], unique=False)
    op.create_index(op.f("ix_market_contracts_round_id"), "market_contracts", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_market_contracts_round_id"), table_name="market_contracts")
    op.drop_index(op.f("ix_market_contracts_provider_org_id"), table_name="market_contracts")
    op.drop_index(op.f("ix_market_contracts_order_id"), table_name="market_contracts")
    op.drop_index("ix_market_contracts_offer_state", table_name="market_contracts")
    op.drop_index(op.f("ix_market_contracts_buyer_org_id"), table_name="market_contracts")
    op.drop_table("market_contracts")
    op.drop_index("ix_market_offers_status_model", table_name="market_offers")
    op.drop_index(op.f("ix_market_offers_organisation_id"), table_name="market_offers")
    op.drop_index(op.f("ix_market_offers_cluster_id"), table_name="market_offers")
    op.drop_table("market_offers")
    op.drop_table("market_rounds")
    op.drop_index(op.f("ix_market_orders_status"), table_name="market_orders")
    op.drop_index(op.f("ix_market_orders_organisation_id"), table_name="market_orders")
    op.drop_table("market_orders")
