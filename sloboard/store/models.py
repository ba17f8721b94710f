"""The store's tables, as SQLAlchemy Core metadata.

This metadata is the single description of the schema: the Alembic migrations in
``migrations/versions`` must produce exactly these tables, and a test compares the
two with Alembic's autogenerate so that drift fails.

Conventions:

- Times of observed data (sample ``ts``, watermarks, collection ranges, deployments)
  are integer epoch seconds (BigInteger). A sample's ``ts`` is the END of its step.
- Bookkeeping times (``loaded_at``, ``started_at`` of a run, lock expiry, audit ``at``)
  are float epoch seconds from the injected clock, so sub-second run durations survive.
- Sample tables are keyed by a small integer (``slo_pk``, ``series_id``) and ``ts``;
  on SQLite they are WITHOUT ROWID tables, so the primary key IS the storage order and
  a range read is one B-tree walk. They carry no foreign keys: SLOs and series are
  never deleted (an SLO whose spec disappears is only marked inactive), and a per-row
  foreign-key check would tax the bulk ingest path that the benchmarks measure.
"""

from __future__ import annotations

import sqlalchemy as sa

# Named constraints keep migrations reproducible on both SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

slos = sa.Table(
    "slos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slo_id", sa.String(255), nullable=False, unique=True),  # "service/name"
    sa.Column("service", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("team", sa.String(255), nullable=False),
    sa.Column("objective", sa.Double, nullable=False),
    sa.Column("window", sa.String(32), nullable=False),  # Window.label: "28d", "month"
    sa.Column("format", sa.String(64), nullable=False),  # "openslo/v1", ... or "" if unknown
    sa.Column("spec_path", sa.Text, nullable=False),
    sa.Column("spec_hash", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

slo_versions = sa.Table(
    "slo_versions",
    metadata,
    sa.Column("slo_pk", sa.Integer, sa.ForeignKey("slos.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("spec_hash", sa.String(64), nullable=False),
    sa.Column("spec_text", sa.Text, nullable=False),
    sa.Column("loaded_at", sa.Double, nullable=False),
)

sli_samples = sa.Table(
    "sli_samples",
    metadata,
    sa.Column("slo_pk", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("good", sa.Double, nullable=False),
    sa.Column("total", sa.Double, nullable=False),
    sqlite_with_rowid=False,
)


def _rollup(name: str, key: str, *values: str) -> sa.Table:
    """A rollup of a sample table, kept in step with it by every write (rollups.py): ``ts`` is
    the END of the period, ``values`` the sums over the steps in it, ``steps`` how many
    steps are stored there (for data completeness)."""
    return sa.Table(
        name,
        metadata,
        sa.Column(key, sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        *(sa.Column(value, sa.Double, nullable=False) for value in values),
        sa.Column("steps", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


# Hourly rollups: the steps in (ts - 3600, ts]. Daily rollups (UTC days): the steps in
# (ts - 86400, ts], the sums of the day's hourly rows.
sli_hourly = _rollup("sli_hourly", "slo_pk", "good", "total")
sli_daily = _rollup("sli_daily", "slo_pk", "good", "total")

series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # "golden" | "cost"
    sa.Column("scope", sa.String(255), nullable=False),  # service, namespace or team
    sa.Column("name", sa.String(255), nullable=False),  # "latency_p99", "usd", ...
    sa.UniqueConstraint("kind", "scope", "name"),
)

series_samples = sa.Table(
    "series_samples",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Double, nullable=False),
    sqlite_with_rowid=False,
)

series_hourly = _rollup("series_hourly", "series_id", "value")  # value: the sum of the hour's step values
series_daily = _rollup("series_daily", "series_id", "value")

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("service", sa.String(255), nullable=False),
    sa.Column("version", sa.String(255), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", sa.BigInteger, nullable=False),
    sa.Column("finished_at", sa.BigInteger),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("commit", sa.String(255)),
    sa.Column("committed_at", sa.BigInteger),
    sa.UniqueConstraint("service", "version", "started_at"),
    sa.Index(None, "started_at"),
)

watermarks = sa.Table(
    "watermarks",
    metadata,
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

collector_runs = sa.Table(
    "collector_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collector", sa.String(64), nullable=False),
    sa.Column("query_key", sa.String(512), nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("finished_at", sa.Double),
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | incomplete | failed
    sa.Column("samples_written", sa.BigInteger, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("range_start", sa.BigInteger, nullable=False),
    sa.Column("range_end", sa.BigInteger, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(255), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # canonical JSON, hashed as stored
    # Unique: two writers that read the same chain head cannot both append (no fork).
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False),
    # audit.target_of(action, payload), kept for searching: derived, not hashed, checked by verify.
    # NULL when the entry names no target. text_pattern_ops: PostgreSQL serves a prefix LIKE
    # from the index whatever the database's collation.
    sa.Column("target", sa.Text),
    sa.Index("ix_audit_log_target", "target", postgresql_ops={"target": "text_pattern_ops"}),
)

report_runs = sa.Table(
    "report_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # weekly | monthly | quarterly
    sa.Column("period", sa.String(32), nullable=False),  # "2026-W47", "2026-11"
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("finished_at", sa.Double),
    sa.Column("status", sa.String(16), nullable=False),  # ok | failed
    sa.Column("path", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("recipients", sa.Text, nullable=False),  # JSON list of addresses
    sa.Column("sha256", sa.String(64)),  # of the archived PDF; also in the audit log
    sa.Column("headline", sa.Text),  # JSON {"sentence", "kpis"}: what the mail says, kept for a retry
    # none (not asked to send) | pending | sending (claimed) | sent | failed (retried) | superseded
    sa.Column("delivery_status", sa.String(16), nullable=False, server_default="none"),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivery_claimed_at", sa.Double),
    sa.Column("delivered_at", sa.Double),
    sa.Column("delivery_error", sa.Text),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("acquired_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
)

# People who log in. The password is an Argon2id PHC string (credentials.py), never plaintext.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),  # viewer | editor | admin
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# Machines' bearer tokens: only the SHA-256 of each is kept, so the table cannot log anyone in.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.String(255), nullable=False),  # space-separated, sorted
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double),
    sa.Column("last_used_at", sa.Double),
)

# Admins' overrides of the deploy gate, each with its reason, who gave it and when it ends
# (``overrides.py``); rows are revoked, never deleted, so the audit log can vouch for each.
gate_overrides = sa.Table(
    "gate_overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("service", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double),
    sa.Column("revoked_by", sa.String(255)),
    sa.Index(None, "service"),
)
