"""Appending to the audit log inside a store transaction, and announcing the new head.

A change to a record (a deployment, a user, a token) and its audit entry are written in
one transaction, so neither exists without the other; ``verify`` then checks the record
against its newest entry. After the commit each new head is logged as one JSON line on
the ``sloboard.audit`` logger: a copy of the chain head outside the table, so that a log
trimmed from the end no longer matches what the logs saw (``audit anchor`` exports it).
"""

from __future__ import annotations

import json
import logging
from typing import Callable

import sqlalchemy as sa

from . import audit
from .models import audit_log
from .records import AuditEntry

log = logging.getLogger("sloboard.audit")
AUDIT_LOCK_KEY = 0x510B0A01  # PostgreSQL advisory lock: one appender at a time reads and extends the head


class AuditWriter:
    """Appends entries on ``conn``, reading the chain head once per transaction."""

    def __init__(self, conn: sa.Connection, clock: Callable[[], float]):
        self._conn = conn
        self._clock = clock
        self._head: str | None = None
        self.appended: list[AuditEntry] = []
        # Audited transactions take turns from their start to their commit, so what one
        # reads before appending (the spec hashes the log last saw, a run still open)
        # already holds every entry committed before it; the store's SQLite transactions
        # are BEGIN IMMEDIATE, which serialises them already. Racing for the head instead
        # (a retry on the unique prev_hash) failed logins when 50 arrived at once.
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})

    def append(self, actor: str, action: str, payload: dict) -> AuditEntry:
        text = audit.canonical_json(payload)
        stored = json.loads(text)  # the payload as a reader (and verify) will see it
        if self._head is None:
            head = self._conn.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
            self._head = head or audit.GENESIS
        at = float(self._clock())
        digest = audit.entry_hash(self._head, at, actor, action, text)
        entry_id = self._conn.execute(
            sa.insert(audit_log)
            .values(at=at, actor=actor, action=action, payload=text, prev_hash=self._head, hash=digest,
                    target=audit.target_of(action, stored))
            .returning(audit_log.c.id)
        ).scalar_one()
        entry = AuditEntry(entry_id, at, actor, action, stored, self._head, digest)
        self._head = digest
        self.appended.append(entry)
        return entry

    def announce(self) -> None:
        """Log the committed head (no payload: it may name people, never secrets, but stays in the store)."""
        if self.appended:
            last = self.appended[-1]
            log.info(json.dumps({"event": "audit.head", "id": last.id, "hash": last.hash, "action": last.action,
                                 "actor": last.actor, "appended": len(self.appended)}, sort_keys=True))
