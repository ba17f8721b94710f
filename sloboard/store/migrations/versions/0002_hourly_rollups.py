"""Hourly rollups of SLI samples and series, filled from the samples already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HOUR = 3600


def upgrade() -> None:
    op.create_table(
        "sli_hourly",
        sa.Column("slo_pk", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("good", sa.Double, nullable=False),
        sa.Column("total", sa.Double, nullable=False),
        sa.Column("steps", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("slo_pk", "ts", name="pk_sli_hourly"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "series_hourly",
        sa.Column("series_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("steps", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_series_hourly"),
        sqlite_with_rowid=False,
    )
    hour_end = f"((ts + {HOUR - 1}) / {HOUR}) * {HOUR}"
    op.execute(
        f"INSERT INTO sli_hourly (slo_pk, ts, good, total, steps) "
        f"SELECT slo_pk, {hour_end}, sum(good), sum(total), count(*) FROM sli_samples GROUP BY 1, 2"
    )
    op.execute(
        f"INSERT INTO series_hourly (series_id, ts, value, steps) "
        f"SELECT series_id, {hour_end}, sum(value), count(*) FROM series_samples GROUP BY 1, 2"
    )


def downgrade() -> None:
    op.drop_table("series_hourly")
    op.drop_table("sli_hourly")
