"""Admins' overrides of the deploy gate in the store; each creation and revocation audited
in the same transaction (``coverage.gate_override_record``), so ``audit verify`` names an
override row edited or inserted behind the store's back.

A mixin of ``Store`` (it uses the store's transactions and clock), as ``accounts.py`` is.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import InputError
from . import coverage
from .models import gate_overrides


@dataclass(frozen=True)
class GateOverride:
    """One override: the gate allows ``service`` from ``created_at`` until ``expires_at``
    (epoch seconds) unless it is revoked first."""

    id: int
    service: str
    reason: str
    created_by: str
    created_at: float
    expires_at: float
    revoked_at: float | None
    revoked_by: str | None

    def active_at(self, now: float) -> bool:
        return self.revoked_at is None and self.created_at <= now < self.expires_at


class OverridesMixin:
    def add_gate_override(self, service: str, reason: str, expires_at: float, *, actor: str) -> GateOverride:
        """Open the gate of ``service`` until ``expires_at``; InputError for an empty reason
        or an expiry not in the future."""
        if not reason.strip():
            raise InputError("an override needs a reason (--reason TEXT): the audit log keeps it")

        def write(conn, audit_log):
            now = float(self._clock())
            if expires_at <= now:
                raise InputError("an override must expire in the future")
            row = dict(service=service, reason=reason.strip(), created_by=actor, created_at=now,
                       expires_at=float(expires_at), revoked_at=None, revoked_by=None)
            row_id = conn.execute(sa.insert(gate_overrides).values(**row).returning(gate_overrides.c.id)).scalar_one()
            audit_log.append(actor, "gate.override", _change(row_id, row))
            return GateOverride(row_id, **row)

        return self._audited(f"adding a gate override of {service}", write)

    def revoke_gate_overrides(self, service: str, *, actor: str) -> list[GateOverride]:
        """Revoke every override of ``service`` active now; returns them as revoked (none: [])."""
        def write(conn, audit_log):
            now = float(self._clock())
            revoked = []
            for row in conn.execute(_active(now).where(gate_overrides.c.service == service)).mappings().all():
                conn.execute(sa.update(gate_overrides).where(gate_overrides.c.id == row["id"])
                             .values(revoked_at=now, revoked_by=actor))
                new = dict(row) | {"revoked_at": now, "revoked_by": actor}
                audit_log.append(actor, "gate.override.revoke", _change(row["id"], new))
                revoked.append(GateOverride(**new))
            return revoked

        return self._audited(f"revoking the gate overrides of {service}", write)

    def gate_overrides(self, *, service: str | None = None, active_at: float | None = None) -> list[GateOverride]:
        """Overrides newest first, of one ``service`` or all; only those active at ``active_at`` if given."""
        query = sa.select(gate_overrides) if active_at is None else _active(active_at)
        if service is not None:
            query = query.where(gate_overrides.c.service == service)
        with self._transaction("reading gate overrides", write=False) as conn:
            rows = conn.execute(query.order_by(gate_overrides.c.id.desc())).mappings().all()
        return [GateOverride(**row) for row in rows]


def _active(now: float) -> sa.Select:
    c = gate_overrides.c
    return sa.select(gate_overrides).where(c.revoked_at.is_(None), c.created_at <= now, c.expires_at > now)


def _change(override_id: int, row: dict) -> dict:
    return {"target": coverage.gate_override_target(override_id), "record": coverage.gate_override_record(row)}
