"""providers: data centres, clusters, attestations, attested GPUs, compliance cases,
provenance records

Revision ID: providers_0001
Revises: catalog_0001
Depends on: documents_0001 (provenance records refer to the uploaded files)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "providers_0001"
down_revision = "catalog_0001"
branch_labels = None
depends_on = ("documents_0001",)

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _data_centres() -> None:
    op.create_table(
        "data_centres",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organisation_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("city_id", sa.String(length=64), nullable=True),
        sa.Column("hub_id", sa.String(length=64), nullable=True),
        sa.Column("operator_type", sa.String(length=16), nullable=False),
        sa.Column("pue", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("green_share", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("racks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"],
                                name=op.f("fk_data_centres_city_id_cities")),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name=op.f("fk_data_centres_hub_id_hubs")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_data_centres_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_centres")),
    )
    op.create_index(op.f("ix_data_centres_organisation_id"), "data_centres",
                    ["organisation_id"], unique=False)


def _clusters() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("data_centre_id", BIG_ID, nullable=False),
        sa.Column("organisation_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("accelerator_model", sa.String(length=64), nullable=False),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("gpus_per_node", sa.Integer(), nullable=False),
        sa.Column("interconnect", sa.String(length=100), nullable=False),
        sa.Column("eccn", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("attestation_key", sa.String(length=100), nullable=True),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["accelerator_model"], ["accelerators.model"],
                                name=op.f("fk_clusters_accelerator_model_accelerators")),
        sa.ForeignKeyConstraint(["data_centre_id"], ["data_centres.id"],
                                name=op.f("fk_clusters_data_centre_id_data_centres")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_clusters_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
    )
    op.create_index(op.f("ix_clusters_data_centre_id"), "clusters", ["data_centre_id"],
                    unique=False)
    op.create_index(op.f("ix_clusters_organisation_id"), "clusters", ["organisation_id"],
                    unique=False)


def _attestations() -> None:
    op.create_table(
        "attestations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("cluster_id", BIG_ID, nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name=op.f("fk_attestations_cluster_id_clusters")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
        sa.UniqueConstraint("cluster_id", "nonce", name=op.f("uq_attestations_cluster_id_nonce")),
    )
    op.create_index(op.f("ix_attestations_cluster_id"), "attestations", ["cluster_id"],
                    unique=False)
    op.create_table(
        "attested_gpus",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("cluster_id", BIG_ID, nullable=False),
        sa.Column("attestation_id", BIG_ID, nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("gpu_index", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("memory_total_mib", sa.Integer(), nullable=False),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["attestation_id"], ["attestations.id"],
                                name=op.f("fk_attested_gpus_attestation_id_attestations")),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name=op.f("fk_attested_gpus_cluster_id_clusters")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attested_gpus")),
        sa.UniqueConstraint("uuid", name=op.f("uq_attested_gpus_uuid")),
    )
    op.create_index(op.f("ix_attested_gpus_cluster_id"), "attested_gpus", ["cluster_id"],
                    unique=False)


def _compliance_cases() -> None:
    op.create_table(
        "compliance_cases",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("cluster_id", BIG_ID, nullable=False),
        sa.Column("organisation_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by_user_id", BIG_ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name=op.f("fk_compliance_cases_cluster_id_clusters")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["users.id"],
                                name=op.f("fk_compliance_cases_decided_by_user_id_users")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_compliance_cases_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_cases")),
    )
    op.create_index("ix_compliance_cases_cluster_id_status", "compliance_cases",
                    ["cluster_id", "status"], unique=False)
    op.create_index(op.f("ix_compliance_cases_organisation_id"), "compliance_cases",
                    ["organisation_id"], unique=False)


def _provenance_records() -> None:
    op.create_table(
        "provenance_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("cluster_id", BIG_ID, nullable=False),
        sa.Column("document_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name=op.f("fk_provenance_records_cluster_id_clusters")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_provenance_records_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_records")),
        sa.UniqueConstraint("document_id", name=op.f("uq_provenance_records_document_id")),
    )
    op.create_index(op.f("ix_provenance_records_cluster_id"), "provenance_records",
                    ["cluster_id"], unique=False)


def upgrade() -> None:
    _data_centres()
    _clusters()
    _attestations()
    _compliance_cases()
    _provenance_records()


def downgrade() -> None:
    op.drop_table("provenance_records")
    op.drop_table("compliance_cases")
    op.drop_table("attested_gpus")
    op.drop_table("attestations")
    op.drop_table("clusters")
    op.drop_table("data_centres")
