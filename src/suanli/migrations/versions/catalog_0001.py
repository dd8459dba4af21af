"""catalog: accelerators, hubs, cities, latency overrides

Revision ID: catalog_0001
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accelerators",
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("domestic", sa.Boolean(), nullable=False),
        sa.Column("datacenter", sa.Boolean(), nullable=False),
        sa.Column("bf16_tflops_dense", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("int8_tops_dense", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("memory_gb", sa.Integer(), nullable=True),
        sa.Column("memory_bw_gbs", sa.Integer(), nullable=True),
        sa.Column("interconnect_gbs", sa.Integer(), nullable=True),
        sa.Column("tdp_w", sa.Integer(), nullable=True),
        sa.Column("die_mm2", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("eccn", sa.String(length=16), nullable=False),
        sa.Column("eccn_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("model", name=op.f("pk_accelerators")),
    )
    op.create_table(
        "cities",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cities")),
    )
    op.create_table(
        "hubs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hub", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("pue_target", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hubs")),
    )
    op.create_table(
        "latency_overrides",
        sa.Column("city_id", sa.String(length=64), nullable=False),
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"],
                                name=op.f("fk_latency_overrides_city_id_cities")),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"],
                                name=op.f("fk_latency_overrides_hub_id_hubs")),
        sa.PrimaryKeyConstraint("city_id", "hub_id", name=op.f("pk_latency_overrides")),
    )


def downgrade() -> None:
    op.drop_table("latency_overrides")
    op.drop_table("hubs")
    op.drop_table("cities")
    op.drop_table("accelerators")
