"""Spec changes seen on load, in the audit log: one entry per SLO whose spec text is new
(``spec.added``), changed (``spec.changed``) or no longer loaded (``spec.removed``), each
with the spec file and the old and new SHA-256 of the SLO's spec text.

What was seen last is read back from these entries themselves, inside the transaction
that appends the new ones; so a load that changes nothing writes nothing, and two
processes that load the same change (the collector and a dashboard worker) record it
once: the second one's transaction sees the first one's entries (on a fork of the chain
it retries on the new head and finds them).

A mixin of ``Store`` (it uses the store's audited transactions).
"""

from __future__ import annotations

import json
from typing import Iterable

import sqlalchemy as sa

from ..domain import SLO
from .models import audit_log
from .records import AuditEntry

ADDED, CHANGED, REMOVED = "spec.added", "spec.changed", "spec.removed"
TARGET = "slo:"  # + the SLO id


def last_seen(conn: sa.Connection) -> dict[str, tuple[str, str | None]]:
    """SLO id -> (spec hash, spec file) as the newest spec entry left it (removed SLOs are absent)."""
    seen: dict[str, tuple[str, str | None]] = {}
    query = (sa.select(audit_log.c.payload).where(audit_log.c.action.in_((ADDED, CHANGED, REMOVED)))
             .order_by(audit_log.c.id))
    for (text,) in conn.execute(query):
        payload = json.loads(text)
        slo_id, new = payload.get("slo"), payload.get("new_hash")
        if not isinstance(slo_id, str):
            continue
        if new is None:
            seen.pop(slo_id, None)
        else:
            seen[slo_id] = (new, payload.get("spec_path"))
    return seen


class SpecAuditMixin:
    def audit_spec_changes(self, slos: Iterable[SLO], *, actor: str) -> list[AuditEntry]:
        """Record how the loaded ``slos`` (all of them) differ from the last load the log saw;
        returns the entries appended, none when nothing changed."""
        loaded = {slo.id: slo for slo in slos}

        def write(conn, log) -> list[AuditEntry]:
            before = last_seen(conn)
            appended = []
            for slo_id in sorted(loaded.keys() | before.keys()):
                slo, (old, old_path) = loaded.get(slo_id), before.get(slo_id, (None, None))
                new = None if slo is None else slo.spec_hash
                if new == old:
                    continue
                action = ADDED if old is None else REMOVED if new is None else CHANGED
                path = old_path if slo is None else slo.source.path if slo.source else None
                payload = {"target": TARGET + slo_id, "slo": slo_id, "old_hash": old, "new_hash": new,
                           "spec_path": path}
                appended.append(log.append(actor, action, payload))
            return appended

        return self._audited("recording spec changes", write)
