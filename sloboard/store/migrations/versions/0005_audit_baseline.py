"""Audit baseline: every deployment stored before deployments were audited gets one
``audit.baseline`` entry with the row as it is now, so that ``audit verify`` holds later
edits to it (it vouches for the rows as found at the upgrade, not for their past).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

from sloboard.store import audit, coverage

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    log = sa.table("audit_log", sa.column("id"), sa.column("at"), sa.column("actor"), sa.column("action"),
                   sa.column("payload"), sa.column("prev_hash"), sa.column("hash"))
    rows = conn.execute(sa.text(
        'SELECT id, service, version, status, started_at, finished_at, source, "commit", committed_at '
        "FROM deployments ORDER BY id")).mappings().all()
    head = conn.execute(sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar() or audit.GENESIS
    at = float(time.time())
    for row in rows:
        text = audit.canonical_json({"target": coverage.deployment_target(row), "record": coverage.deployment_record(row)})
        digest = audit.entry_hash(head, at, "migration:0005", "audit.baseline", text)
        conn.execute(sa.insert(log).values(at=at, actor="migration:0005", action="audit.baseline", payload=text,
                                           prev_hash=head, hash=digest))
        head = digest


def downgrade() -> None:
    pass  # the log is append-only: baseline entries stay
