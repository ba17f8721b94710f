"""Recording the specs a long-running process has loaded (the dashboard at start and on
each reload) in the audit log, where ``Store.audit_spec_changes`` keeps one entry per SLO
added, changed or removed. Serving pages matters more than this entry: a store that
cannot take it (not migrated yet, unreachable) is logged, and the next load tries again."""

from __future__ import annotations

import logging
from typing import Sequence

from .domain import SLO
from .errors import StoreError

log = logging.getLogger(__name__)


def record_spec_changes(store, slos: Sequence[SLO], *, actor: str) -> int:
    """Audit how ``slos`` differ from the last load the log saw; the number of entries written."""
    try:
        entries = store.audit_spec_changes(slos, actor=actor)
    except StoreError as exc:
        log.warning("spec changes not audited this time: %s", exc)
        return 0
    if entries:
        log.info("spec changes audited: %s", ", ".join(f"{e.action} {e.payload['slo']}" for e in entries))
    return len(entries)
