"""What the collector has done, in the store: the watermark of each query (how far it
has been collected) and a row per collection run.

A mixin of ``Store`` (it uses the store's transactions and clock).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

from ..errors import StoreError, StoreLockedError
from . import audit_runs, locking
from .models import collector_runs, watermarks
from .records import CollectorRun

# incomplete: written, but the source left steps empty where its series had samples.
# interrupted: its process stopped before closing it (killed); the next collector to take
# the lock closed it, and the next pass resumes its query from the watermark.
RUN_STATUSES = ("running", "ok", "incomplete", "failed", "interrupted")
FINISHED = ("ok", "incomplete", "failed")  # what a collector closes its own run as

# How far back, in run ids, a new lock holder looks for runs left running. status has no
# index and the table gains a row per target and pass, so the look is a range of the
# primary key: a killed pass's open runs are among the newest, since nobody else starts
# a run while it holds the lock.
RECENT_RUN_IDS = 50_000

# Written once per collected chunk, so it goes to the driver as plain SQL (the same on
# both databases but for the placeholder): SQLAlchemy's per-statement work would be
# a visible share of a small chunk's cost.
_PUT_WATERMARK = (
    "INSERT INTO watermarks (key, ts, updated_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (key) DO UPDATE SET ts = excluded.ts, updated_at = excluded.updated_at"
)


class CollectionLogMixin:
    """Watermarks and collector runs."""

    def watermark(self, key: str) -> int | None:
        """The ``ts`` up to which ``key`` has been collected, or None if never."""
        with self._transaction("reading a watermark", write=False) as conn:
            return conn.execute(sa.select(watermarks.c.ts).where(watermarks.c.key == key)).scalar()

    def set_watermark(self, key: str, ts: int) -> None:
        """Set a watermark on its own (a chunk with samples passes ``watermark=`` instead)."""
        with self._transaction("setting a watermark", write=True) as conn:
            self._put_watermark(conn, key, ts)

    def _put_watermark(self, conn: sa.Connection, key: str, ts: int) -> None:
        """Set ``key`` to exactly ``ts`` (a backfill may move it back on purpose)."""
        sql = _PUT_WATERMARK.replace("%s", "?") if self._sqlite else _PUT_WATERMARK
        conn.connection.driver_connection.cursor().execute(sql, (key, int(ts), self._clock()))

    def start_run(self, collector: str, query_key: str, range_start: int, range_end: int) -> int:
        """Record that a collection of ``(range_start, range_end]`` began; returns the run id."""
        values = dict(
            collector=collector,
            query_key=query_key,
            started_at=self._clock(),
            status="running",
            samples_written=0,
            range_start=int(range_start),
            range_end=int(range_end),
        )
        with self._transaction("starting a collector run", write=True) as conn:
            return conn.execute(
                sa.insert(collector_runs).values(**values).returning(collector_runs.c.id)
            ).scalar_one()

    def finish_run(self, run_id: int, *, status: str, samples_written: int, error: str | None = None) -> None:
        """Close a running run as ``ok``, ``incomplete`` or ``failed``. Raises ValueError for
        another status, StoreError for an unknown id, StoreLockedError for a run another
        collector already closed as interrupted (it took the lock over)."""
        if status not in FINISHED:
            raise ValueError(f"run status must be one of {', '.join(FINISHED)}, not {status!r}")

        def close(conn, log) -> None:
            updated = conn.execute(
                sa.update(collector_runs)
                .where(collector_runs.c.id == run_id, collector_runs.c.status == "running")
                .values(finished_at=self._clock(), status=status, samples_written=int(samples_written), error=error)
            ).rowcount
            if updated != 1:
                closed = conn.execute(sa.select(collector_runs.c.status, collector_runs.c.error)
                                      .where(collector_runs.c.id == run_id)).first()
                if closed is None:
                    raise StoreError(f"database {self._label}: no collector run with id {run_id}")
                raise StoreLockedError(f"database {self._label}: collector run {run_id} was closed as "
                                       f"{closed.status} by another collector: {closed.error}")
            if status != "ok":  # a failed or incomplete run is audited with it (audit_runs.py)
                audit_runs.audit_unsuccessful_run(conn, log, run_id)

        self._audited("finishing a collector run", close)

    @contextmanager
    def collection_lock(self, name: str, owner: str, ttl_s: int = 600) -> Iterator[None]:
        """``Store.lock`` for a collection pass: taking the lock when it was free or from
        another holder also closes, in the same transaction, every run still "running"
        as "interrupted" (audited as ``collector.interrupted``). None of them is a live
        holder's: only the lock's holder starts runs, and ``owner`` has started none yet.
        A renewal (``owner`` held it already) closes nothing."""

        def take(conn: sa.Connection, log) -> None:
            now = self._clock()
            previous = locking.acquire(conn, name, owner, now, ttl_s)
            if previous is None or previous.owner != owner:
                self._interrupt_open_runs(conn, log, name, owner, previous, now)

        self._audited(f"taking the {name} lock", take)
        with self._released_after(name, owner):
            yield

    def _interrupt_open_runs(self, conn: sa.Connection, log, name: str, owner: str,
                             previous: locking.Holder | None, now: float) -> None:
        newest = conn.execute(sa.select(sa.func.max(collector_runs.c.id))).scalar()
        if newest is None:
            return
        open_runs = conn.execute(
            sa.select(collector_runs.c.id, collector_runs.c.started_at)
            .where(collector_runs.c.id > newest - RECENT_RUN_IDS, collector_runs.c.status == "running")
            .order_by(collector_runs.c.id)
        ).all()
        for run_id, started_at in open_runs:
            # A run started while the previous holder held the lock was its; an older one
            # is from a holder before it, whose name the store no longer has.
            run_owner = previous.owner if previous is not None and started_at >= previous.since else None
            error = _interruption(name, owner, now, previous, run_owner)
            conn.execute(
                sa.update(collector_runs).where(collector_runs.c.id == run_id)
                .values(status="interrupted", finished_at=now, error=error)
            )
            audit_runs.audit_interrupted_run(conn, log, run_id, run_owner, owner)

    def runs(self, *, limit: int = 100, collector: str | None = None) -> list[CollectorRun]:
        """The newest collector runs first."""
        query = sa.select(collector_runs).order_by(collector_runs.c.id.desc()).limit(limit)
        if collector is not None:
            query = query.where(collector_runs.c.collector == collector)
        with self._transaction("reading collector runs", write=False) as conn:
            rows = conn.execute(query).all()
        return [CollectorRun(**r._asdict()) for r in rows]


def _interruption(name: str, owner: str, now: float, previous: locking.Holder | None, run_owner: str | None) -> str:
    """The error text of a run closed as interrupted: who took the lock from whom, when."""
    unknown = "" if run_owner else " (its collector is unknown)"
    source = f"from {previous.owner}" if previous is not None else "while it was free"
    return f"never finished{unknown}: {owner} took the {name} lock {source} at {locking.iso_utc(now)}"
