"""Initial schema: SLOs and their versions, samples, series, deployments, bookkeeping.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slo_id", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("team", sa.String(255), nullable=False),
        sa.Column("objective", sa.Double, nullable=False),
        sa.Column("window", sa.String(32), nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("spec_path", sa.Text, nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slos"),
        sa.UniqueConstraint("slo_id", name="uq_slos_slo_id"),
    )
    op.create_table(
        "slo_versions",
        sa.Column("slo_pk", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("spec_text", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("slo_pk", "version", name="pk_slo_versions"),
        sa.ForeignKeyConstraint(["slo_pk"], ["slos.id"], name="fk_slo_versions_slo_pk_slos"),
    )
    op.create_table(
        "sli_samples",
        sa.Column("slo_pk", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("good", sa.Double, nullable=False),
        sa.Column("total", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("slo_pk", "ts", name="pk_sli_samples"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint("kind", "scope", "name", name="uq_series_kind_scope_name"),
    )
    op.create_table(
        "series_samples",
        sa.Column("series_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_series_samples"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("commit", sa.String(255)),
        sa.Column("committed_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.UniqueConstraint("service", "version", "started_at", name="uq_deployments_service_version_started_at"),
    )
    op.create_index("ix_deployments_started_at", "deployments", ["started_at"])
    op.create_table(
        "watermarks",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_watermarks"),
    )
    op.create_table(
        "collector_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collector", sa.String(64), nullable=False),
        sa.Column("query_key", sa.String(512), nullable=False),
        sa.Column("started_at", sa.Double, nullable=False),
        sa.Column("finished_at", sa.Double),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("samples_written", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("range_start", sa.BigInteger, nullable=False),
        sa.Column("range_end", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collector_runs"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("started_at", sa.Double, nullable=False),
        sa.Column("finished_at", sa.Double),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_runs"),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("acquired_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )


def downgrade() -> None:
    for table in (
        "locks", "report_runs", "audit_log", "collector_runs", "watermarks", "deployments",
        "series_samples", "series", "sli_samples", "slo_versions", "slos",
    ):
        op.drop_table(table)
