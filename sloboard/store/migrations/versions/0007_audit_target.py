"""Audit target column: ``audit_log.target`` (nullable, indexed) holds
``audit.target_of(action, payload)`` so that the Audit page filters by target in SQL;
existing entries are backfilled here. The hash chain is unchanged (the column is derived
from the hashed payload, not hashed itself).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from sloboard.store import audit

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000  # entries read and updated per round trip


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("target", sa.Text))
    conn = op.get_bind()
    log = sa.table("audit_log", sa.column("id"), sa.column("action"), sa.column("payload"), sa.column("target"))
    update = sa.update(log).where(log.c.id == sa.bindparam("entry_id")).values(target=sa.bindparam("entry_target"))
    last_id = 0
    while True:
        rows = conn.execute(sa.select(log.c.id, log.c.action, log.c.payload).where(log.c.id > last_id)
                            .order_by(log.c.id).limit(BATCH)).all()
        if not rows:
            break
        targets = [{"entry_id": r.id, "entry_target": audit.target_of(r.action, json.loads(r.payload))} for r in rows]
        named = [t for t in targets if t["entry_target"] is not None]
        if named:
            conn.execute(update, named)
        last_id = rows[-1].id
    # Built after the backfill: one index build instead of an update per row.
    op.create_index("ix_audit_log_target", "audit_log", ["target"], postgresql_ops={"target": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_column("audit_log", "target")
