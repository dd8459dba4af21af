"""catalog: the names GPUs report, as data of each accelerator model

Revision ID: catalog_i16_install_1
Revises: catalog_0001

Replaces the code table ``providers/gpu_names.py``. Models already in the table get the
names that table recognised (as exact names), so attestations go on matching after the
upgrade; ``suanli catalog load`` then adds the packaged names of newer models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_i16_install_1"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None

# The names the removed code table recognised, per model id.
SEED = {
    "h100-sxm": ["NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5 80GB"],
    "h800-sxm": ["NVIDIA H800", "NVIDIA H800 80GB HBM3"],
    "h20": ["NVIDIA H20"],
    "a100-sxm-80g": ["NVIDIA A100-SXM4-80GB"],
    "a800-sxm-80g": ["NVIDIA A800-SXM4-80GB"],
    "l40s": ["NVIDIA L40S"],
    "l20": ["NVIDIA L20"],
    "rtx-4090": ["NVIDIA GeForce RTX 4090"],
    "ascend-910b": ["Ascend 910B", "Ascend910B"],
    "ascend-910c": ["Ascend 910C", "Ascend910C"],
    "ascend-910": ["Ascend 910", "Ascend910"],
    "mlu370-x8": ["MLU370-X8"],
    "hygon-k100-ai": ["K100_AI", "DCU K100_AI", "Hygon DCU K100_AI"],
    "biren-br100": ["BR100"],
    "metax-c500": ["MetaX C500", "MXC500"],
    "mthreads-s4000": ["MTT S4000"],
}


def upgrade() -> None:
    op.create_table(
        "accelerator_names",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["model"], ["accelerators.model"],
                                name=op.f("fk_accelerator_names_model_accelerators")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_accelerator_names")),
    )
    op.create_index(op.f("ix_accelerator_names_model"), "accelerator_names", ["model"],
                    unique=False)
    bind = op.get_bind()
    present = {row[0] for row in bind.execute(sa.text("SELECT model FROM accelerators"))}
    names = sa.table("accelerator_names", sa.column("key", sa.String),
                     sa.column("model", sa.String), sa.column("name", sa.String))
    rows = [{"key": " ".join(name.split()).casefold(), "model": model, "name": name}
            for model, listed in SEED.items() if model in present for name in listed]
    if rows:
        op.bulk_insert(names, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_accelerator_names_model"), table_name="accelerator_names")
    op.drop_table("accelerator_names")
