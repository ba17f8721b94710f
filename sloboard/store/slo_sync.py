"""Bringing the ``slos`` table in line with the loaded specs, keeping version history.

Rules: an SLO seen for the first time gets version 1; a later load whose ``spec_hash``
differs from the stored one adds version n+1 with the spec text; an SLO that is no
longer among the specs is marked inactive (its samples and history stay); one that
comes back is active again.
"""

from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa

from ..domain import SLO
from .models import slo_versions, slos


def _describe(slo: SLO) -> dict[str, Any]:
    return {
        "service": slo.service,
        "name": slo.name,
        "team": slo.team,
        "objective": float(slo.objective),
        "window": slo.window.label,
        "format": slo.source.format if slo.source else "",
        "spec_path": slo.source.path if slo.source else "",
        "spec_hash": slo.spec_hash,
        "active": True,
    }


def sync(conn: sa.Connection, specs: Iterable[SLO], now: float) -> None:
    """Apply the rules above inside the caller's write transaction. Raises ValueError on a repeated id."""
    wanted: dict[str, SLO] = {}
    for slo in specs:
        if slo.id in wanted:
            raise ValueError(f"SLO id {slo.id!r} appears twice; every SLO needs its own service/name")
        wanted[slo.id] = slo
    stored = {row.slo_id: row for row in conn.execute(sa.select(slos))}

    for slo_id, slo in wanted.items():
        fields = _describe(slo)
        row = stored.get(slo_id)
        if row is None:
            pk = conn.execute(
                sa.insert(slos)
                .values(slo_id=slo_id, version=1, created_at=now, updated_at=now, **fields)
                .returning(slos.c.id)
            ).scalar_one()
            _add_version(conn, pk, 1, slo, now)
            continue
        changes = {k: v for k, v in fields.items() if getattr(row, k) != v}
        if "spec_hash" in changes:
            changes["version"] = row.version + 1
            _add_version(conn, row.id, row.version + 1, slo, now)
        if changes:
            conn.execute(sa.update(slos).where(slos.c.id == row.id).values(updated_at=now, **changes))

    gone = [row.id for slo_id, row in stored.items() if slo_id not in wanted and row.active]
    if gone:
        conn.execute(sa.update(slos).where(slos.c.id.in_(gone)).values(active=False, updated_at=now))


def _add_version(conn: sa.Connection, pk: int, version: int, slo: SLO, now: float) -> None:
    conn.execute(
        sa.insert(slo_versions).values(
            slo_pk=pk, version=version, spec_hash=slo.spec_hash, spec_text=slo.spec_text, loaded_at=now
        )
    )
