"""What the collector has done, in the store: the watermark of each query (how far it
has been collected) and a row per collection run.

A mixin of ``Store`` (it uses the store's transactions and clock).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import StoreError
from . import audit_runs
from .models import collector_runs, watermarks
from .records import CollectorRun

# incomplete: written, but the source left steps empty where its series had samples.
RUN_STATUSES = ("running", "ok", "incomplete", "failed")

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
        """Close a run as ``ok``, ``incomplete`` or ``failed``. Raises ValueError for another
        status, StoreError for an unknown id."""
        if status not in RUN_STATUSES[1:]:
            raise ValueError(f"run status must be one of {', '.join(RUN_STATUSES[1:])}, not {status!r}")

        def close(conn, log) -> None:
            updated = conn.execute(
                sa.update(collector_runs)
                .where(collector_runs.c.id == run_id)
                .values(finished_at=self._clock(), status=status, samples_written=int(samples_written), error=error)
            ).rowcount
            if updated != 1:
                raise StoreError(f"database {self._label}: no collector run with id {run_id}")
            if status != "ok":  # a failed or incomplete run is audited with it (audit_runs.py)
                audit_runs.audit_unsuccessful_run(conn, log, run_id)

        self._audited("finishing a collector run", close)

    def runs(self, *, limit: int = 100, collector: str | None = None) -> list[CollectorRun]:
        """The newest collector runs first."""
        query = sa.select(collector_runs).order_by(collector_runs.c.id.desc()).limit(limit)
        if collector is not None:
            query = query.where(collector_runs.c.collector == collector)
        with self._transaction("reading collector runs", write=False) as conn:
            rows = conn.execute(query).all()
        return [CollectorRun(**r._asdict()) for r in rows]
