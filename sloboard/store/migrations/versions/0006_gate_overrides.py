"""Admin overrides of the deploy gate: service, reason, who, when, until when, revocation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gate_overrides",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("revoked_at", sa.Double),
        sa.Column("revoked_by", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_gate_overrides"),
    )
    op.create_index("ix_gate_overrides_service", "gate_overrides", ["service"])


def downgrade() -> None:
    op.drop_index("ix_gate_overrides_service", table_name="gate_overrides")
    op.drop_table("gate_overrides")
