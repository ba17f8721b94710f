"""Report runs keep what an auditor and a later delivery need: the PDF's SHA-256, the
headline the mail carries, and the delivery's status, attempts, claim and error.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_runs") as batch:
        batch.add_column(sa.Column("sha256", sa.String(64)))
        batch.add_column(sa.Column("headline", sa.Text))
        batch.add_column(sa.Column("delivery_status", sa.String(16), nullable=False, server_default="none"))
        batch.add_column(sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("delivery_claimed_at", sa.Double))
        batch.add_column(sa.Column("delivered_at", sa.Double))
        batch.add_column(sa.Column("delivery_error", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("report_runs") as batch:
        for column in ("delivery_error", "delivered_at", "delivery_claimed_at", "delivery_attempts",
                       "delivery_status", "headline", "sha256"):
            batch.drop_column(column)
