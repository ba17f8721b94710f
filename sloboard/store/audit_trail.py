"""The hash-chained audit log in the store: appends (alone, or with the records they
cover in one transaction), reads, and verification.

A mixin of ``Store`` (it uses the store's transactions and clock).
"""

from __future__ import annotations

import json
from typing import Callable

import sqlalchemy as sa

from . import audit, audit_check, audit_rows
from .models import audit_log
from .records import AuditEntry

class AuditTrailMixin:
    """The audit log: append, read, check."""

    def append_audit(self, actor: str, action: str, payload: dict) -> AuditEntry:
        """Append one entry to the hash-chained audit log and return it.

        ``payload`` must be JSON (TypeError/ValueError otherwise). Concurrent appends take
        turns on the chain head (``audit_rows.AuditWriter``); the unique ``prev_hash`` is
        the database's guarantee that the chain never forks.
        """
        audit.canonical_json(payload)  # a bad payload fails here, before any transaction
        return self._audited("appending to the audit log", lambda conn, log: log.append(actor, action, payload))

    def _audited(self, doing: str, write: Callable[[sa.Connection, audit_rows.AuditWriter], object]):
        """Run ``write(conn, audit_writer)`` in one write transaction; then log the committed head."""
        with self._transaction(doing, write=True) as conn:
            writer = audit_rows.AuditWriter(conn, self._clock)
            result = write(conn, writer)
        writer.announce()
        return result

    def audit_entries(self, *, limit: int | None = 100, action: str | None = None) -> list[AuditEntry]:
        """The newest audit entries first, optionally of one ``action``; ``limit=None``: all."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        with self._transaction("reading the audit log", write=False) as conn:
            rows = conn.execute(query).all()
        return [AuditEntry(r.id, r.at, r.actor, r.action, json.loads(r.payload), r.prev_hash, r.hash) for r in rows]

    def check_audit(self, *, start: float | None = None, end: float | None = None,
                    anchor: "audit_check.Anchor | None" = None) -> "audit_check.AuditReport":
        """The chain (entries timed in ``[start, end]``), the ``anchor`` and every covered
        record, with each problem named (``audit_check``)."""
        with self._transaction("verifying the audit log", write=False) as conn:
            return audit_check.check(conn, start=start, end=end, anchor=anchor)

    def verify_audit(self) -> tuple[bool, int | None]:
        """Recompute the chain: ``(True, None)`` if intact, else ``(False, id of the first broken entry)``."""
        query = sa.select(
            audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.action,
            audit_log.c.payload, audit_log.c.prev_hash, audit_log.c.hash,
        ).order_by(audit_log.c.id)
        with self._transaction("verifying the audit log", write=False) as conn:
            broken = audit.first_broken(tuple(r) for r in conn.execution_options(yield_per=2000).execute(query))
        return broken is None, broken
