"""The audit log as a reader searches it: filtered by actor, action, target prefix and time,
newest first, one page at a time (the dashboard's Audit page).

Every value a user types is a bound parameter; ``LIKE`` wildcards in it are escaped, so
``%`` or ``_`` match themselves. A mixin of ``Store`` (it uses the store's transactions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from .models import audit_log
from .records import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """Empty fields match everything. ``action`` and ``target`` match from their start
    (``login`` finds ``login.ok`` and ``login.failed``; ``user:`` every user's entries), the
    target in the entry's ``target`` column (``audit.target_of``, indexed); ``actor``
    anywhere in the actor."""

    actor: str = ""
    action: str = ""
    target: str = ""
    start: float | None = None
    end: float | None = None

    def conditions(self) -> list:
        found = []
        if self.actor:
            found.append(audit_log.c.actor.contains(self.actor, autoescape=True))
        if self.action:
            found.append(audit_log.c.action.startswith(self.action, autoescape=True))
        if self.target:
            found.append(audit_log.c.target.startswith(self.target, autoescape=True))
        if self.start is not None:
            found.append(audit_log.c.at >= self.start)
        if self.end is not None:
            found.append(audit_log.c.at <= self.end)
        return found


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int  # from 1
    pages: int  # at least 1, even when nothing matches
    matching: int


class AuditQueryMixin:
    def audit_search(self, where: AuditFilter, *, page: int = 1, page_size: int = 50) -> AuditPage:
        """Page ``page`` (clamped to the pages there are) of the entries ``where`` matches, newest first."""
        conditions = where.conditions()
        with self._transaction("searching the audit log", write=False) as conn:
            matching = conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*conditions)).scalar_one()
            pages = max(1, -(-matching // page_size))
            page = min(max(1, page), pages)
            rows = conn.execute(sa.select(audit_log).where(*conditions).order_by(audit_log.c.id.desc())
                                .limit(page_size).offset((page - 1) * page_size)).all()
        entries = [AuditEntry(r.id, r.at, r.actor, r.action, json.loads(r.payload), r.prev_hash, r.hash) for r in rows]
        return AuditPage(entries, page, pages, matching)
