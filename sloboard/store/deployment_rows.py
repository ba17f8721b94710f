"""Deployments in the store: each new or changed row audited in the same transaction
(``deployment.stored``, with the row as stored), so ``audit verify`` can hold the row to it.

A mixin of ``Store`` (it uses the store's audited transactions and watermarks).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Collection, Iterable, NamedTuple

import numpy as np
import sqlalchemy as sa

from ..domain import Deployment, DeployStatus
from . import audit_rows, coverage
from .dialect import insert
from .models import deployments

DAY_S = 86_400
STATUSES = tuple(DeployStatus)  # the order of the status columns (engine.dora.STATUSES)


class DeploymentDays(NamedTuple):
    """Deployments per day and status, counted by the database (``deployment_days``).

    ``counts[b, s]``: deployments with status ``STATUSES[s]`` started ``b`` days back from
    the read's end: ``b = 0`` at the end itself, ``b >= 1`` in ``[end - b d, end - (b - 1) d)``,
    so a window ``[end - n d, end)`` is ``b = 1 .. n``. ``first_started_at``: the oldest
    start read (None when none is).
    """

    counts: np.ndarray
    first_started_at: int | None


class DeploymentEvents(NamedTuple):
    """Deployments as columns, oldest first (by start, then as recorded): ``service`` an index
    into ``services`` (sorted), ``status`` into ``STATUSES``; ``finished_at``, ``committed_at``
    NaN where unknown."""

    services: tuple[str, ...]
    service: np.ndarray
    status: np.ndarray
    started_at: np.ndarray
    finished_at: np.ndarray
    committed_at: np.ndarray


class DeploymentsMixin:
    """Recording and reading deployments."""

    def record_deployment(self, d: Deployment) -> bool:
        """Store a deployment; True if new, False if ``(service, version, started_at)`` was known.

        Recording a known deployment again updates its status, and fills in the finish
        time and commit when they were missing. Times are kept to the second. A new or
        changed row is audited in the same transaction (``deployment.stored``, with the
        row as stored), so ``audit verify`` can hold the row to it.
        """
        return self._audited(f"recording a deployment of {d.service}",
                             lambda conn, audit_log: _upsert_audited(conn, audit_log, d))

    def record_deployments(
        self, events: Iterable[Deployment], *, watermark: tuple[str, int] | None = None
    ) -> int:
        """Record many deployments as ``record_deployment`` does, in one transaction; returns how many were new.

        With ``watermark=(key, ts)`` the watermark is set in the same transaction, so a
        collector that dies mid-chunk leaves neither the events nor the watermark behind.
        """
        batch = list(events)

        def write(conn, audit_log):
            added = sum(_upsert_audited(conn, audit_log, d) for d in batch)
            if watermark is not None:
                self._put_watermark(conn, *watermark)
            return added

        return self._audited("recording deployments", write)

    def deployments(
        self, *, service: str | None = None, start: int | None = None, end: int | None = None
    ) -> list[Deployment]:
        """Deployments with ``start < started_at <= end`` (either bound optional), oldest first."""
        columns = ("service", "version", "status", "started_at", "finished_at", "source", "commit", "committed_at")
        query = sa.select(*(deployments.c[c] for c in columns)).order_by(deployments.c.started_at, deployments.c.id)
        if service is not None:
            query = query.where(deployments.c.service == service)
        if start is not None:
            query = query.where(deployments.c.started_at > int(start))
        if end is not None:
            query = query.where(deployments.c.started_at <= int(end))
        with self._transaction("reading deployments", write=False) as conn:
            rows = conn.execute(query).all()
        # The overview reads thousands of these at every new instant: rows unpacked as tuples
        # and statuses looked up in a dict take half the time of attribute access and Enum calls.
        status_of = {s.value: s for s in DeployStatus}
        return [
            Deployment(
                service=service,
                version=version,
                status=status_of[status] if status in status_of else DeployStatus(status),
                started_at=_datetime(started_at),
                finished_at=_datetime(finished_at),
                source=source,
                commit=commit,
                committed_at=_datetime(committed_at),
            )
            for service, version, status, started_at, finished_at, source, commit, committed_at in rows
        ]

    def deployment_days(self, *, start: int, end: int, services: Collection[str] | None = None) -> DeploymentDays:
        """Deployments of ``services`` (all when None) with ``start < started_at <= end``, counted
        per day back from ``end`` and status in one GROUP BY (:class:`DeploymentDays`)."""
        c = deployments.c
        day = (sa.literal(int(end), sa.BigInteger) - c.started_at + (DAY_S - 1)) // DAY_S
        query = (sa.select(day, c.status, sa.func.count(), sa.func.min(c.started_at))
                 .where(c.started_at > int(start), c.started_at <= int(end)).group_by(day, c.status))
        if services is not None:
            query = query.where(c.service.in_(sorted(services)))
        with self._transaction("counting deployments per day", write=False) as conn:
            rows = conn.execute(query).all()
        counts = np.zeros((-(-(int(end) - int(start) - 1) // DAY_S) + 1 if end > start else 1, len(STATUSES)), np.int64)
        column = {s.value: i for i, s in enumerate(STATUSES)}
        for back, status, count, _first in rows:
            counts[back, column[status]] = count
        return DeploymentDays(counts, min((first for *_rest, first in rows), default=None))

    def deployment_events(self, *, start: int, end: int) -> DeploymentEvents:
        """The deployments with ``start <= started_at <= end`` as columns (:class:`DeploymentEvents`):
        what time to restore and lead time take one by one, without a Python object per row."""
        c = deployments.c
        query = (sa.select(c.service, c.status, c.started_at, c.finished_at, c.committed_at)
                 .where(c.started_at >= int(start), c.started_at <= int(end)).order_by(c.started_at, c.id))
        with self._transaction("reading deployment events", write=False) as conn:
            rows = conn.execute(query).all()
        service, status, started, finished, committed = (list(column) for column in zip(*rows)) if rows else [[]] * 5
        names = sorted(set(service))
        index = {name: i for i, name in enumerate(names)}
        code = {s.value: i for i, s in enumerate(STATUSES)}
        return DeploymentEvents(
            services=tuple(names),
            service=np.array([index[n] for n in service], dtype=np.int64),
            status=np.array([code[s] for s in status], dtype=np.int64),
            started_at=np.array(started, dtype=np.float64),
            finished_at=np.array(finished, dtype=np.float64),
            committed_at=np.array(committed, dtype=np.float64),
        )

    def deployment_services(self, *, start: int, end: int) -> list[str]:
        """The services with a deployment with ``start < started_at <= end``, sorted."""
        query = (sa.select(deployments.c.service).distinct()
                 .where(deployments.c.started_at > int(start), deployments.c.started_at <= int(end)))
        with self._transaction("reading deployed services", write=False) as conn:
            return sorted(conn.execute(query).scalars())


def _upsert_audited(conn: sa.Connection, audit_log: audit_rows.AuditWriter, d: Deployment) -> bool:
    """``_upsert_deployment``, and an audit entry with the stored row when it is new or changed."""
    key = (deployments.c.service == d.service, deployments.c.version == d.version,
           deployments.c.started_at == _epoch(d.started_at, "started_at"))
    before = conn.execute(sa.select(deployments).where(*key)).mappings().first()
    added = _upsert_deployment(conn, d)
    after = conn.execute(sa.select(deployments).where(*key)).mappings().one()
    if before is None or dict(before) != dict(after):
        audit_log.append(f"source:{d.source}", "deployment.stored",
                         {"target": coverage.deployment_target(after), "record": coverage.deployment_record(after)})
    return added


def _upsert_deployment(conn: sa.Connection, d: Deployment) -> bool:
    """Insert ``d``, or update the known row with the same service, version and start; True if inserted."""
    row = {
        "service": d.service,
        "version": d.version,
        "status": DeployStatus(d.status).value,
        "started_at": _epoch(d.started_at, "started_at"),
        "finished_at": _epoch(d.finished_at, "finished_at"),
        "source": d.source,
        "commit": d.commit,
        "committed_at": _epoch(d.committed_at, "committed_at"),
    }
    added = conn.execute(
        insert(conn, deployments).values(**row).on_conflict_do_nothing().returning(deployments.c.id)
    ).scalar()
    if added is not None:
        return True
    conn.execute(
        sa.update(deployments)
        .where(
            deployments.c.service == row["service"],
            deployments.c.version == row["version"],
            deployments.c.started_at == row["started_at"],
        )
        .values(
            status=row["status"],
            **{
                col: sa.func.coalesce(row[col], deployments.c[col])
                for col in ("finished_at", "commit", "committed_at")
            },
        )
    )
    return False


def _epoch(value: datetime | None, field: str) -> int | None:
    """Whole epoch seconds of an aware datetime (floored, so one instant maps to one second)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"deployment {field} must be timezone-aware (UTC), got {value.isoformat()}")
    return math.floor(value.timestamp())


def _datetime(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)
