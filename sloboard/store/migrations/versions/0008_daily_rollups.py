"""Daily rollups (UTC days) of SLI samples and series, filled from the hourly rollups.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DAY = 86_400


def upgrade() -> None:
    op.create_table(
        "sli_daily",
        sa.Column("slo_pk", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("good", sa.Double, nullable=False),
        sa.Column("total", sa.Double, nullable=False),
        sa.Column("steps", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("slo_pk", "ts", name="pk_sli_daily"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "series_daily",
        sa.Column("series_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("steps", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_series_daily"),
        sqlite_with_rowid=False,
    )
    # A day's row is the sum of its hourly rows, as the store keeps it (store/rollups.py);
    # the hours also hold the history whose steps retention has removed.
    day_end = f"((ts + {DAY - 1}) / {DAY}) * {DAY}"
    op.execute(
        f"INSERT INTO sli_daily (slo_pk, ts, good, total, steps) "
        f"SELECT slo_pk, {day_end}, sum(good), sum(total), sum(steps) FROM sli_hourly GROUP BY 1, 2"
    )
    op.execute(
        f"INSERT INTO series_daily (series_id, ts, value, steps) "
        f"SELECT series_id, {day_end}, sum(value), sum(steps) FROM series_hourly GROUP BY 1, 2"
    )


def downgrade() -> None:
    op.drop_table("series_daily")
    op.drop_table("sli_daily")
