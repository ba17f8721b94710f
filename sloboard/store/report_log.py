"""Report runs in the store: each build of a report, its archived PDF, and the claim
and outcome of its mail delivery (so two processes never send one run twice).

A mixin of ``Store`` (it uses the store's transactions and clock).
"""

from __future__ import annotations

import json
from typing import Mapping, Sequence

import sqlalchemy as sa

from ..errors import StoreError
from . import audit_runs
from .models import report_runs
from .records import ReportRun

class ReportLogMixin:
    """Report runs and their deliveries."""

    def record_report_run(
        self,
        kind: str,
        period: str,
        *,
        status: str,
        started_at: float,
        finished_at: float | None = None,
        path: str | None = None,
        error: str | None = None,
        recipients: Sequence[str] = (),
        sha256: str | None = None,
        headline: Mapping | None = None,
        delivery_status: str = "none",
    ) -> int:
        """Record one report build (``status`` ok or failed); returns its id.

        A run recorded ``pending`` delivery supersedes the undelivered runs of the same
        kind and period: its PDF replaced theirs in the archive, and only it is sent.
        """
        values = dict(
            kind=kind, period=period, status=status, started_at=float(started_at),
            finished_at=finished_at, path=path, error=error, recipients=json.dumps(list(recipients)),
            sha256=sha256, headline=None if headline is None else json.dumps(dict(headline), sort_keys=True),
            delivery_status=delivery_status,
        )
        with self._transaction("recording a report run", write=True) as conn:
            if delivery_status == "pending":
                conn.execute(
                    sa.update(report_runs)
                    .where(report_runs.c.kind == kind, report_runs.c.period == period,
                           report_runs.c.delivery_status.in_(("pending", "failed")))
                    .values(delivery_status="superseded")
                )
            return conn.execute(sa.insert(report_runs).values(**values).returning(report_runs.c.id)).scalar_one()

    def report_runs(
        self, *, kind: str | None = None, limit: int | None = 100, delivery_status: Sequence[str] | None = None
    ) -> list[ReportRun]:
        """The newest report runs first, optionally of one ``kind`` or delivery status; ``limit=None``: all."""
        query = sa.select(report_runs).order_by(report_runs.c.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(report_runs.c.kind == kind)
        if delivery_status is not None:
            query = query.where(report_runs.c.delivery_status.in_(tuple(delivery_status)))
        with self._transaction("reading report runs", write=False) as conn:
            rows = conn.execute(query).all()
        return [_report_run(r) for r in rows]

    def report_run(self, run_id: int) -> ReportRun:
        """One report run by id; raises StoreError if there is none."""
        with self._transaction("reading a report run", write=False) as conn:
            row = conn.execute(sa.select(report_runs).where(report_runs.c.id == run_id)).one_or_none()
        if row is None:
            raise StoreError(f"no report run with id {run_id}")
        return _report_run(row)

    def claim_report_delivery(self, run_id: int, *, lease_s: float = 3600) -> float | None:
        """Take the run's delivery for this process if it is pending or failed (or its claim
        is older than ``lease_s``: a process that died mid-send). Returns the claim (pass it
        to ``finish_report_delivery``), or None when the run is not to be sent by us. One
        UPDATE, so two processes retrying at once cannot both send it."""
        now = float(self._clock())
        claimable = sa.or_(
            report_runs.c.delivery_status.in_(("pending", "failed")),
            sa.and_(report_runs.c.delivery_status == "sending", report_runs.c.delivery_claimed_at < now - lease_s),
        )
        with self._transaction("claiming a report delivery", write=True) as conn:
            claimed = conn.execute(
                sa.update(report_runs).where(report_runs.c.id == run_id, claimable).values(
                    delivery_status="sending", delivery_claimed_at=now,
                    delivery_attempts=report_runs.c.delivery_attempts + 1,
                )
            ).rowcount
        return now if claimed == 1 else None

    def finish_report_delivery(self, run_id: int, claim: float, *, error: str | None = None) -> None:
        """End our claimed delivery: sent (``error`` None) or failed, to be retried later."""
        values = {"delivery_status": "sent", "delivered_at": float(self._clock()), "delivery_error": None}
        if error is not None:
            values = {"delivery_status": "failed", "delivery_error": error}

        def finish(conn, log) -> int:
            done = conn.execute(
                sa.update(report_runs)
                .where(report_runs.c.id == run_id, report_runs.c.delivery_status == "sending",
                       report_runs.c.delivery_claimed_at == claim)
                .values(**values)
            ).rowcount
            if done == 1:  # each send or failed attempt is audited with it (audit_runs.py)
                audit_runs.audit_report_delivery(conn, log, run_id)
            return done

        if self._audited("finishing a report delivery", finish) != 1:
            raise StoreError(f"report run {run_id} is not being delivered (not claimed, or claimed by another process)")


def _report_run(row) -> ReportRun:
    values = row._asdict()
    values["recipients"] = tuple(json.loads(values["recipients"]))
    values["headline"] = None if values["headline"] is None else json.loads(values["headline"])
    return ReportRun(**values)
