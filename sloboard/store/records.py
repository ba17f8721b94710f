"""Frozen rows that the store returns: plain data, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SLORecord:
    """One SLO as the store knows it; ``version`` counts distinct spec hashes seen."""

    slo_id: str
    service: str
    name: str
    team: str
    objective: float
    window: str
    format: str
    spec_path: str
    spec_hash: str
    version: int
    active: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class SLOVersion:
    """One definition of an SLO, kept whenever its spec hash changed."""

    slo_id: str
    version: int
    spec_hash: str
    spec_text: str
    loaded_at: float


@dataclass(frozen=True)
class CollectorRun:
    """One collection of one query over ``(range_start, range_end]``."""

    id: int
    collector: str
    query_key: str
    started_at: float
    finished_at: float | None
    status: str  # collection_log.RUN_STATUSES: running | ok | incomplete | failed | interrupted
    samples_written: int
    error: str | None
    range_start: int
    range_end: int


@dataclass(frozen=True)
class AuditEntry:
    """One link of the audit chain: ``hash = SHA-256(prev_hash, at, actor, action, payload)``."""

    id: int
    at: float
    actor: str
    action: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ReportRun:
    """One build (and possibly delivery) of a report."""

    id: int
    kind: str
    period: str
    started_at: float
    finished_at: float | None
    status: str
    path: str | None
    error: str | None
    recipients: tuple[str, ...]
    sha256: str | None = None
    headline: dict[str, Any] | None = None
    # none | pending | sending | sent | failed | superseded (see models.report_runs)
    delivery_status: str = "none"
    delivery_attempts: int = 0
    delivery_claimed_at: float | None = None
    delivered_at: float | None = None
    delivery_error: str | None = None


@dataclass(frozen=True)
class User:
    """A person who logs in; the password hash stays in the store (``Store.password_hash``)."""

    id: int
    name: str
    role: str  # viewer | editor | admin
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ApiToken:
    """A machine's bearer token, as the store keeps it: never the token itself."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: float
    expires_at: float
    revoked_at: float | None
    last_used_at: float | None

    def usable_at(self, now: float) -> bool:
        return self.revoked_at is None and now < self.expires_at
