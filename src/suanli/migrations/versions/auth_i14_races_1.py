"""auth: login attempts indexed by client address (the per-address login throttle)

Revision ID: auth_i14_races_1
Revises: 0001_foundation
"""

from __future__ import annotations

from alembic import op

revision = "auth_i14_races_1"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_attempts_client_at", "login_attempts", ["client", "at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_client_at", table_name="login_attempts")
