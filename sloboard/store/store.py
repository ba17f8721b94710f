"""``Store``: the one object through which sloboard reads and writes its database.

Every public method is one transaction and maps database failures to ``StoreError``
(``failures.guard``). On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so
that a second writer waits up to the busy timeout for the write lock instead of
failing half-way; read transactions use a plain ``BEGIN`` and never block writers (WAL).
"""

from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import sqlalchemy as sa

from ..domain import SLO, Deployment, DeployStatus
from ..errors import StoreError
from . import audit, audit_check, audit_rows, completeness, coverage, locking, migrate, samples, slo_sync
from .accounts import AccountsMixin
from .audit_query import AuditQueryMixin
from .overrides import OverridesMixin
from .dialect import insert
from .connection import create_engine, mask_url, parse_url
from .failures import guard
from .models import (
    audit_log,
    collector_runs,
    deployments,
    report_runs,
    series,
    series_hourly,
    series_samples,
    sli_hourly,
    sli_samples,
    slo_versions,
    slos,
    watermarks,
)
from .sample_layout import SERIES_HOURLY, SERIES_SAMPLES, SLI_HOURLY, SLI_SAMPLES
from .records import AuditEntry, CollectorRun, ReportRun, SLORecord, SLOVersion
from .retention import Retention

SLISamples = tuple[np.ndarray, np.ndarray, np.ndarray]  # ts int64, good float64, total float64
SeriesSamples = tuple[np.ndarray, np.ndarray]  # ts int64, value float64
SLIHourly = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # hour end, good, total, steps
SeriesHourly = tuple[np.ndarray, np.ndarray, np.ndarray]  # hour end, sum of values, steps
SLISums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # first ts, newest ts, good, total, steps
SeriesSums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # first ts, newest ts, sum of values, steps
# incomplete: written, but the source left steps empty where its series had samples.
RUN_STATUSES = ("running", "ok", "incomplete", "failed")

# Written once per collected chunk, so it goes to the driver as plain SQL (the same on
# both databases but for the placeholder): SQLAlchemy's per-statement work would be
# a visible share of a small chunk's cost.
_PUT_WATERMARK = (
    "INSERT INTO watermarks (key, ts, updated_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (key) DO UPDATE SET ts = excluded.ts, updated_at = excluded.updated_at"
)


class Store(AccountsMixin, AuditQueryMixin, OverridesMixin):
    """sloboard's database: SQLite (default) or PostgreSQL, with the same schema and results.

    Open with ``Store.open(url)``; close with ``close()`` or use it as a context manager.
    Times of data are integer epoch seconds; sample reads select ``start < ts <= end``.
    """

    def __init__(self, engine: sa.Engine, label: str, clock: Callable[[], float], retention: Retention | None = None):
        self._engine = engine
        self._label = label
        self._clock = clock
        self._retention = retention
        self._sqlite = engine.dialect.name == "sqlite"
        # Primary keys never change once assigned (rows are never deleted), so caching is safe.
        self._slo_pks: dict[str, int] = {}
        self._series_ids: dict[tuple[str, str, str], int] = {}

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade: bool = True,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
        busy_timeout_s: float = 5.0,
        connect_timeout_s: float = 10.0,
    ) -> "Store":
        """Connect to ``url`` and, unless ``upgrade=False``, migrate the schema to head.

        ``clock`` returns epoch seconds and stamps bookkeeping rows (runs, audit, locks).
        ``retention``, for writers: steps of a write with a ``span`` that are older than
        the retention keeps steps are stored as hourly sums only (``store.retention``).
        ``busy_timeout_s`` bounds how long SQLite waits for another writer;
        ``connect_timeout_s`` how long PostgreSQL waits for the server. A SQLite file's
        directory is created. Raises StoreError with the URL's password masked.
        """
        parsed = parse_url(url)
        label = mask_url(parsed)
        with guard(label, "opening the database"):
            engine = create_engine(parsed, busy_timeout_s=busy_timeout_s, connect_timeout_s=connect_timeout_s)
        store = cls(engine, label, clock, retention)
        if upgrade:
            try:
                store._upgrade_if_behind()
            except BaseException:
                store.close()
                raise
        return store

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return self._label

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite, False for PostgreSQL."""
        return self._sqlite

    def upgrade(self) -> str:
        """Run the Alembic migrations to head in one transaction; returns the revision."""
        with self._transaction("upgrading the schema", write=True) as conn:
            return migrate.upgrade(conn)

    def _upgrade_if_behind(self) -> None:
        # A read-only check first: most opens find the schema at head and need neither
        # Alembic nor a write lock (which on SQLite would wait for a busy collector).
        with self._transaction("reading the schema revision", write=False) as conn:
            if migrate.is_at_head(conn):
                return
        self.upgrade()

    def schema_revision(self) -> str | None:
        """The schema revision of the database (None when empty); compare with ``migrate.head_revision()``."""
        with self._transaction("reading the schema revision", write=False) as conn:
            return migrate.current_revision(conn)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _transaction(self, doing: str, *, write: bool) -> Iterator[sa.Connection]:
        """One transaction; database errors become ``StoreError`` naming ``doing``."""
        with guard(self._label, doing):
            with self._engine.connect() as conn, conn.begin():
                if self._sqlite:
                    # pysqlite's implicit transactions are off (engine.py): begin explicitly,
                    # on the driver connection because this runs once per collected chunk.
                    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn

    # --- SLO definitions --------------------------------------------------------------

    def sync_slos(self, slos_: Iterable[SLO]) -> None:
        """Upsert SLO definitions; a changed ``spec_hash`` adds a version; missing ones become inactive."""
        specs = list(slos_)
        with self._transaction("syncing SLO definitions", write=True) as conn:
            slo_sync.sync(conn, specs, self._clock())

    def slo_rows(self, *, active_only: bool = False) -> list[SLORecord]:
        """Every SLO the store knows, ordered by ``slo_id``."""
        query = sa.select(slos).order_by(slos.c.slo_id)
        if active_only:
            query = query.where(slos.c.active.is_(True))
        with self._transaction("reading SLOs", write=False) as conn:
            rows = conn.execute(query).all()
        return [
            SLORecord(**{f: getattr(r, f) for f in SLORecord.__dataclass_fields__}) for r in rows
        ]

    def slo_versions(self, slo_id: str) -> list[SLOVersion]:
        """The definition history of one SLO, oldest first (empty for an unknown id)."""
        query = (
            sa.select(slo_versions)
            .join(slos, slos.c.id == slo_versions.c.slo_pk)
            .where(slos.c.slo_id == slo_id)
            .order_by(slo_versions.c.version)
        )
        with self._transaction("reading SLO versions", write=False) as conn:
            rows = conn.execute(query).all()
        return [SLOVersion(slo_id, r.version, r.spec_hash, r.spec_text, r.loaded_at) for r in rows]

    def _slo_pk(self, conn: sa.Connection, slo_id: str) -> int | None:
        if slo_id not in self._slo_pks:
            pk = conn.execute(sa.select(slos.c.id).where(slos.c.slo_id == slo_id)).scalar()
            if pk is None:
                return None
            self._slo_pks[slo_id] = pk
        return self._slo_pks[slo_id]

    # --- SLI samples ------------------------------------------------------------------

    def write_sli_samples(
        self, slo_id: str, ts, good, total, *, watermark: tuple[str, int] | None = None,
        span: tuple[int, int] | None = None,
    ) -> int:
        """Upsert per-step ``good``/``total`` counts of one SLO; returns the steps written.

        ``ts`` holds the END of each step in epoch seconds. Steps whose counts are NaN are
        not stored (no data). With ``watermark=(key, ts)``, the watermark is set in the
        same transaction: either the whole chunk and its watermark land, or neither.
        ``span=(after, through)`` says the batch holds all the data of the steps in
        ``(after, through]`` (a collector's chunk): whole hours of it older than the
        store's ``retention`` keeps steps are then stored as hourly sums only, replacing
        what was stored for them (``samples.history_mask``, ``samples.write_rollup_only``).
        Raises StoreError for an SLO that was never synced, ValueError for bad arrays.
        """
        ts_arr, (good_arr, total_arr) = samples.prepare(ts, good, total)
        with self._transaction(f"writing SLI samples of {slo_id}", write=True) as conn:
            pk = self._slo_pk(conn, slo_id)
            if pk is None:
                raise StoreError(f"database {self._label}: unknown SLO {slo_id!r}; load its spec first")
            written = self._write_steps(conn, SLI_SAMPLES, pk, None, ts_arr, [good_arr, total_arr], span)
            if watermark is not None:
                self._put_watermark(conn, *watermark)
        return written

    def _write_steps(self, conn: sa.Connection, table, key: int, kind: str | None, ts: np.ndarray,
                     values: list[np.ndarray], span: tuple[int, int] | None) -> int:
        """Steps as steps, except whole hours of ``span`` past the step retention of ``kind``."""
        if span is None or self._retention is None:
            return samples.write(conn, table, key, ts, values)
        history = samples.history_mask(ts, span, self._retention.raw_horizon(kind, self._clock()))
        recent = ~history
        return (samples.write_rollup_only(conn, table, key, ts[history], [v[history] for v in values])
                + samples.write(conn, table, key, ts[recent], [v[recent] for v in values]))

    def read_sli_samples(self, slo_id: str, start: int, end: int) -> SLISamples:
        """``(ts, good, total)`` of one SLO with ``start < ts <= end``, sorted by ts."""
        return self.read_sli_samples_many([slo_id], start, end)[slo_id]

    def read_sli_samples_many(self, slo_ids: Sequence[str], start: int, end: int) -> dict[str, SLISamples]:
        """``{slo_id: (ts, good, total)}`` for every id asked, in one query.

        An SLO without samples in the range (or unknown to the store) maps to empty arrays.
        """
        with self._transaction("reading SLI samples", write=False) as conn:
            pks = {slo_id: self._slo_pk(conn, slo_id) for slo_id in dict.fromkeys(slo_ids)}
            known = sorted(pk for pk in pks.values() if pk is not None)
            keys, ts, (good, total) = samples.read(conn, SLI_SAMPLES, known, start, end)
        return samples.split_by_key(pks, keys, ts, good, total)

    def read_sli_hourly_many(self, slo_ids: Sequence[str], start: int, end: int) -> dict[str, SLIHourly]:
        """``{slo_id: (ts, good, total, steps)}`` from the hourly rollup, hours ending in ``(start, end]``.

        ``ts`` is the end of each hour, ``good``/``total`` the sums of its steps and
        ``steps`` (int64) how many steps were stored in it. Sums over whole hours equal
        the sums of the per-step samples; unknown SLOs map to empty arrays.
        """
        with self._transaction("reading hourly SLI rollups", write=False) as conn:
            pks = {slo_id: self._slo_pk(conn, slo_id) for slo_id in dict.fromkeys(slo_ids)}
            known = sorted(pk for pk in pks.values() if pk is not None)
            keys, ts, (good, total, steps) = samples.read(conn, SLI_HOURLY, known, start, end)
        return samples.split_by_key(pks, keys, ts, good, total, steps)

    def read_sli_spans_many(
        self, slo_ids: Sequence[str], raw_spans: Sequence[tuple[int, int]], hourly_span: tuple[int, int]
    ) -> tuple[dict[str, SLISamples], dict[str, SLIHourly]]:
        """Per-step samples in each ``(start, end]`` of ``raw_spans`` and the hourly rollup rows
        ending in ``hourly_span``, for every id asked, in one read transaction.

        ``raw_spans`` are disjoint and ascending; an SLO's samples from all of them come back
        as one sorted array. Shapes as in ``read_sli_samples_many`` and ``read_sli_hourly_many``.
        """
        with self._transaction("reading SLI samples and hourly rollups", write=False) as conn:
            pks = {slo_id: self._slo_pk(conn, slo_id) for slo_id in dict.fromkeys(slo_ids)}
            known = sorted(pk for pk in pks.values() if pk is not None)
            keys, ts, (good, total) = _read_spans(conn, SLI_SAMPLES, known, raw_spans)
            h_keys, h_ts, (h_good, h_total, h_steps) = samples.read(conn, SLI_HOURLY, known, *hourly_span)
        return (
            samples.split_by_key(pks, keys, ts, good, total),
            samples.split_by_key(pks, h_keys, h_ts, h_good, h_total, h_steps),
        )

    def read_sli_sums_many(
        self, slo_ids: Sequence[str], raw_pieces: Sequence[tuple[int, int]], hourly_pieces: Sequence[tuple[int, int]]
    ) -> dict[str, SLISums]:
        """``{slo_id: (first, ts, good, total, steps)}``: per piece, the sums of one SLO's counts
        that the database adds up, in one read transaction.

        Each ``(a, b]`` of ``raw_pieces`` sums the per-step samples with ``a < ts <= b``
        (``steps``: how many); each of ``hourly_pieces`` the hourly rollup rows ending in it
        (``steps``: the steps they hold), so its bounds are hour ends. A piece without
        rows gives none; the others give one row each, ``first``/``ts`` the oldest and
        newest ``ts`` summed, sorted by ``ts`` (pieces are disjoint). Unknown SLOs map to
        empty arrays.
        """
        with self._transaction("reading sums of SLI samples and hourly rollups", write=False) as conn:
            pks = {slo_id: self._slo_pk(conn, slo_id) for slo_id in dict.fromkeys(slo_ids)}
            known = sorted(pk for pk in pks.values() if pk is not None)
            arrays = _read_piece_sums(conn, SLI_SAMPLES, known, raw_pieces, hourly_pieces)
        return samples.split_by_key(pks, *arrays)

    def read_sli_coverage_many(self, slo_ids: Sequence[str], start: int, end: int,
                               full_steps: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{slo_id: (complete_hours, steps)}``: the stored steps with ``start < ts <= end``,
        the hours wholly inside holding ``full_steps`` steps as their hour ends, every other
        step as its ``ts`` (``completeness.step_coverage``). Unknown SLOs map to empty arrays."""
        with self._transaction("reading which SLI steps are stored", write=False) as conn:
            pks = {slo_id: self._slo_pk(conn, slo_id) for slo_id in dict.fromkeys(slo_ids)}
            known = sorted(pk for pk in pks.values() if pk is not None)
            hour_keys, hours, step_keys, steps = completeness.step_coverage(conn, SLI_SAMPLES, known, start, end,
                                                                            full_steps)
        by_hour, by_step = samples.split_by_key(pks, hour_keys, hours), samples.split_by_key(pks, step_keys, steps)
        return {slo_id: (by_hour[slo_id][0], by_step[slo_id][0]) for slo_id in pks}

    def latest_sample_ts(self, slo_id: str | None = None) -> int | None:
        """The newest sample ``ts`` of one SLO, or of any SLO when ``slo_id`` is None."""
        with self._transaction("reading the newest sample time", write=False) as conn:
            if slo_id is not None:
                pk = self._slo_pk(conn, slo_id)
                return None if pk is None else conn.execute(_newest_ts(pk)).scalar()
            # One index probe per SLO: a bare max(ts) would scan the whole table.
            # select_from ties the correlated subquery to one row per SLO; without it
            # SQLAlchemy joins every sample with every SLO.
            per_slo = (
                sa.select(_newest_ts(slos.c.id).scalar_subquery().label("newest")).select_from(slos).subquery()
            )
            return conn.execute(sa.select(sa.func.max(per_slo.c.newest))).scalar()

    def delete_samples_before(
        self, cutoff: int, *, kind_cutoffs: Mapping[str, int] | None = None, rollup_cutoff: int | None = None
    ) -> int:
        """Retention: delete per-step SLI and series samples with ``ts <= cutoff``; returns rows deleted.

        ``kind_cutoffs`` gives series of some kinds their own cutoff (golden signals keep
        fewer days of steps than SLIs). The hourly rollups are kept, so long windows
        still have their history, up to ``rollup_cutoff``: rollup rows of hours ending
        at or before it are deleted too.
        """
        kind_cutoffs = dict(kind_cutoffs or {})
        every_slo = sa.select(slos.c.id)
        # Keys come from the slos and series tables, so each delete walks the primary key
        # (key, ts) range by range: a bare "ts <= cutoff" would scan whole tables.
        deletes = [
            _delete_old(sli_samples, sli_samples.c.slo_pk, every_slo, cutoff),
            _delete_old(series_samples, series_samples.c.series_id,
                        sa.select(series.c.id).where(series.c.kind.not_in(list(kind_cutoffs))), cutoff),
        ] + [
            _delete_old(series_samples, series_samples.c.series_id,
                        sa.select(series.c.id).where(series.c.kind == kind), kind_cutoff)
            for kind, kind_cutoff in kind_cutoffs.items()
        ]
        if rollup_cutoff is not None:
            deletes += [
                _delete_old(sli_hourly, sli_hourly.c.slo_pk, every_slo, rollup_cutoff),
                _delete_old(series_hourly, series_hourly.c.series_id, sa.select(series.c.id), rollup_cutoff),
            ]
        with self._transaction("deleting old samples", write=True) as conn:
            return sum(conn.execute(statement).rowcount for statement in deletes)

    # --- golden signals and cost --------------------------------------------------------

    def write_series(
        self, kind: str, scope: str, name: str, ts, values, *, watermark: tuple[str, int] | None = None,
        span: tuple[int, int] | None = None,
    ) -> int:
        """Upsert one series, e.g. ``("golden", "checkout", "latency_p99")`` or ``("cost", "team-a", "usd")``.

        Same rules as ``write_sli_samples``: NaN steps are not stored, the watermark (if
        any) lands in the same transaction, old whole hours of a ``span`` are kept as
        hourly sums only (golden signals keep steps for less time than other kinds).
        Returns the steps written.
        """
        ts_arr, (value_arr,) = samples.prepare(ts, values)
        with self._transaction(f"writing series {kind}/{scope}/{name}", write=True) as conn:
            series_id = self._series_id(conn, kind, scope, name, create=True)
            written = self._write_steps(conn, SERIES_SAMPLES, series_id, kind, ts_arr, [value_arr], span)
            if watermark is not None:
                self._put_watermark(conn, *watermark)
        self._series_ids[(kind, scope, name)] = series_id  # only now: the new row is committed
        return written

    def read_series(self, kind: str, scope: str, name: str, start: int, end: int) -> SeriesSamples:
        """``(ts, values)`` of one series with ``start < ts <= end`` (empty if unknown)."""
        return self.read_series_many(kind, [(scope, name)], start, end)[(scope, name)]

    def read_series_many(
        self, kind: str, keys: Sequence[tuple[str, str]], start: int, end: int
    ) -> dict[tuple[str, str], SeriesSamples]:
        """``{(scope, name): (ts, values)}`` for every key asked, in one query."""
        with self._transaction("reading series", write=False) as conn:
            ids = {key: self._series_id(conn, kind, *key, create=False) for key in dict.fromkeys(keys)}
            known = sorted(i for i in ids.values() if i is not None)
            found, ts, (values,) = samples.read(conn, SERIES_SAMPLES, known, start, end)
        self._series_ids.update({(kind, *key): i for key, i in ids.items() if i is not None})
        return samples.split_by_key(ids, found, ts, values)

    def read_series_hourly_many(
        self, kind: str, keys: Sequence[tuple[str, str]], start: int, end: int
    ) -> dict[tuple[str, str], SeriesHourly]:
        """``{(scope, name): (ts, sum, steps)}`` from the hourly rollup, hours ending in ``(start, end]``.

        ``sum`` adds the hour's step values (USD for cost); divide by ``steps`` for a mean.
        """
        with self._transaction("reading hourly series rollups", write=False) as conn:
            ids = {key: self._series_id(conn, kind, *key, create=False) for key in dict.fromkeys(keys)}
            known = sorted(i for i in ids.values() if i is not None)
            found, ts, (sums, steps) = samples.read(conn, SERIES_HOURLY, known, start, end)
        self._series_ids.update({(kind, *key): i for key, i in ids.items() if i is not None})
        return samples.split_by_key(ids, found, ts, sums, steps)

    def read_series_spans_many(
        self, kind: str, keys: Sequence[tuple[str, str]], raw_spans: Sequence[tuple[int, int]],
        hourly_span: tuple[int, int],
    ) -> tuple[dict[tuple[str, str], SeriesSamples], dict[tuple[str, str], SeriesHourly]]:
        """``read_sli_spans_many`` for series: per-step values in ``raw_spans`` and hourly rows
        ending in ``hourly_span``, in one read transaction."""
        with self._transaction("reading series and hourly rollups", write=False) as conn:
            ids = {key: self._series_id(conn, kind, *key, create=False) for key in dict.fromkeys(keys)}
            known = sorted(i for i in ids.values() if i is not None)
            found, ts, (values,) = _read_spans(conn, SERIES_SAMPLES, known, raw_spans)
            h_found, h_ts, (sums, steps) = samples.read(conn, SERIES_HOURLY, known, *hourly_span)
        self._series_ids.update({(kind, *key): i for key, i in ids.items() if i is not None})
        return samples.split_by_key(ids, found, ts, values), samples.split_by_key(ids, h_found, h_ts, sums, steps)

    def read_series_sums_many(
        self, kind: str, keys: Sequence[tuple[str, str]], raw_pieces: Sequence[tuple[int, int]],
        hourly_pieces: Sequence[tuple[int, int]],
    ) -> dict[tuple[str, str], SeriesSums]:
        """``read_sli_sums_many`` for series: ``{(scope, name): (first, ts, sum, steps)}``."""
        with self._transaction("reading sums of series and hourly rollups", write=False) as conn:
            ids = {key: self._series_id(conn, kind, *key, create=False) for key in dict.fromkeys(keys)}
            known = sorted(i for i in ids.values() if i is not None)
            arrays = _read_piece_sums(conn, SERIES_SAMPLES, known, raw_pieces, hourly_pieces)
        self._series_ids.update({(kind, *key): i for key, i in ids.items() if i is not None})
        return samples.split_by_key(ids, *arrays)

    def series_keys(self, kind: str) -> list[tuple[str, str]]:
        """Every ``(scope, name)`` stored for ``kind``, sorted."""
        query = sa.select(series.c.scope, series.c.name).where(series.c.kind == kind)
        with self._transaction("listing series", write=False) as conn:
            return sorted((r.scope, r.name) for r in conn.execute(query))

    def _series_id(self, conn: sa.Connection, kind: str, scope: str, name: str, *, create: bool) -> int | None:
        """The id of a series, inserting it if ``create``; callers cache it once committed."""
        if (kind, scope, name) in self._series_ids:
            return self._series_ids[(kind, scope, name)]
        if create:
            conn.execute(insert(conn, series).values(kind=kind, scope=scope, name=name).on_conflict_do_nothing())
        query = sa.select(series.c.id).where(series.c.kind == kind, series.c.scope == scope, series.c.name == name)
        return conn.execute(query).scalar()

    # --- deployments ------------------------------------------------------------------

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

    # --- watermarks and collector runs -------------------------------------------------

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
        with self._transaction("finishing a collector run", write=True) as conn:
            updated = conn.execute(
                sa.update(collector_runs)
                .where(collector_runs.c.id == run_id)
                .values(finished_at=self._clock(), status=status, samples_written=int(samples_written), error=error)
            ).rowcount
            if updated != 1:
                raise StoreError(f"database {self._label}: no collector run with id {run_id}")

    def runs(self, *, limit: int = 100, collector: str | None = None) -> list[CollectorRun]:
        """The newest collector runs first."""
        query = sa.select(collector_runs).order_by(collector_runs.c.id.desc()).limit(limit)
        if collector is not None:
            query = query.where(collector_runs.c.collector == collector)
        with self._transaction("reading collector runs", write=False) as conn:
            rows = conn.execute(query).all()
        return [CollectorRun(**r._asdict()) for r in rows]

    # --- the cross-process lock ----------------------------------------------------------

    @contextmanager
    def lock(self, name: str, owner: str, ttl_s: int = 600) -> Iterator[None]:
        """Hold the database lock ``name`` as ``owner`` for the ``with`` block.

        Raises StoreLockedError ("collector lock held by <owner> since <time>; ...") if
        another owner holds it and its lease has not expired; a lease older than
        ``ttl_s`` (a crashed process) is taken over. Long holders call ``renew_lock``.
        """
        with self._transaction(f"taking the {name} lock", write=True) as conn:
            locking.acquire(conn, name, owner, self._clock(), ttl_s)
        try:
            yield
        finally:
            with self._transaction(f"releasing the {name} lock", write=True) as conn:
                locking.release(conn, name, owner)

    def renew_lock(self, name: str, owner: str, ttl_s: int = 600) -> None:
        """Extend a held lock to now + ``ttl_s``; raises StoreLockedError if another owner took it."""
        with self._transaction(f"renewing the {name} lock", write=True) as conn:
            locking.renew(conn, name, owner, self._clock(), ttl_s)

    # --- audit log ------------------------------------------------------------------------

    def append_audit(self, actor: str, action: str, payload: dict) -> AuditEntry:
        """Append one entry to the hash-chained audit log and return it.

        ``payload`` must be JSON (TypeError/ValueError otherwise). Two concurrent appends
        cannot fork the chain: ``prev_hash`` is unique, so the loser retries on the new head.
        """
        audit.canonical_json(payload)  # a bad payload fails here, before any transaction
        return self._audited("appending to the audit log", lambda conn, log: log.append(actor, action, payload))

    def _audited(self, doing: str, write: Callable[[sa.Connection, audit_rows.AuditWriter], object]):
        """Run ``write(conn, audit_writer)`` in one write transaction, again on a new chain
        head if a concurrent append took ours; then log the committed head."""
        for attempt in range(5):
            try:
                with self._transaction(doing, write=True) as conn:
                    writer = audit_rows.AuditWriter(conn, self._clock)
                    result = write(conn, writer)
                writer.announce()
                return result
            except StoreError as exc:
                if not audit_rows.is_fork(exc) or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def audit_entries(self, *, limit: int | None = 100, action: str | None = None) -> list[AuditEntry]:
        """The newest audit entries first, optionally of one ``action``; ``limit=None``: all."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        with self._transaction("reading the audit log", write=False) as conn:
            rows = conn.execute(query).all()
        return [AuditEntry(r.id, r.at, r.actor, r.action, json.loads(r.payload), r.prev_hash, r.hash) for r in rows]

    def check_audit(self, *, start: float | None = None, end: float | None = None,
                    anchor: "audit_check.Anchor | None" = None) -> "audit_check.AuditReport":
        """The chain (entries timed in ``[start, end]``), the ``anchor`` and every covered
        record, with each problem named (``audit_check``)."""
        with self._transaction("verifying the audit log", write=False) as conn:
            return audit_check.check(conn, start=start, end=end, anchor=anchor)

    def verify_audit(self) -> tuple[bool, int | None]:
        """Recompute the chain: ``(True, None)`` if intact, else ``(False, id of the first broken entry)``."""
        query = sa.select(
            audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.action,
            audit_log.c.payload, audit_log.c.prev_hash, audit_log.c.hash,
        ).order_by(audit_log.c.id)
        with self._transaction("verifying the audit log", write=False) as conn:
            broken = audit.first_broken(tuple(r) for r in conn.execution_options(yield_per=2000).execute(query))
        return broken is None, broken

    # --- report runs ------------------------------------------------------------------------

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
        with self._transaction("finishing a report delivery", write=True) as conn:
            done = conn.execute(
                sa.update(report_runs)
                .where(report_runs.c.id == run_id, report_runs.c.delivery_status == "sending",
                       report_runs.c.delivery_claimed_at == claim)
                .values(**values)
            ).rowcount
        if done != 1:
            raise StoreError(f"report run {run_id} is not being delivered (not claimed, or claimed by another process)")


def _report_run(row) -> ReportRun:
    values = row._asdict()
    values["recipients"] = tuple(json.loads(values["recipients"]))
    values["headline"] = None if values["headline"] is None else json.loads(values["headline"])
    return ReportRun(**values)


def _read_spans(conn: sa.Connection, table, keys: Sequence[int], spans: Sequence[tuple[int, int]]):
    """``samples.read`` over disjoint, ascending ``(start, end]`` spans: ``(key, ts, [values])``
    sorted by key, then ts (a stable sort by key keeps each key's spans in time order)."""
    bounds = [(int(start), int(end)) for start, end in spans]
    if any(start >= end for start, end in bounds) or any(a[1] > b[0] for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"sample spans must be non-empty, disjoint and ascending (start, end] pairs; got {bounds}")
    parts = [samples.read(conn, table, keys, start, end) for start, end in bounds] or [samples.read(conn, table, [], 0, 0)]
    order = np.argsort(np.concatenate([p[0] for p in parts]), kind="stable")
    key = np.concatenate([p[0] for p in parts])[order]
    ts = np.concatenate([p[1] for p in parts])[order]
    values = [np.concatenate([p[2][i] for p in parts])[order] for i in range(len(table.values))]
    return key, ts, values


def _read_piece_sums(conn: sa.Connection, table, keys: Sequence[int], raw_pieces: Sequence[tuple[int, int]],
                     hourly_pieces: Sequence[tuple[int, int]]):
    """``(key, first, ts, *sums, steps)`` sorted by key, then ts: ``samples.read_sums`` of the
    per-step rows over ``raw_pieces`` (steps: rows summed) and of the hourly rollup over
    ``hourly_pieces`` (steps: their ``steps`` summed)."""
    if conn.dialect.name != "sqlite":
        # Keep each key's rows summed in index (ts) order, whatever the keys asked: a
        # bitmap or parallel scan would add them in another order, and a status read for
        # one SLO would then differ in the last bits from the same SLO's in a report.
        for setting in ("enable_seqscan = off", "enable_bitmapscan = off", "max_parallel_workers_per_gather = 0"):
            conn.connection.driver_connection.execute(f"SET LOCAL {setting}")
    r_key, r_first, r_last, r_sums, r_rows = samples.read_sums(conn, table, keys, raw_pieces)
    h_key, h_first, h_last, h_sums, _ = samples.read_sums(conn, table.hourly, keys, hourly_pieces)
    key = np.concatenate((r_key, h_key))
    order = np.lexsort((np.concatenate((r_last, h_last)), key))
    columns = [np.concatenate(pair)[order] for pair in zip((r_first, r_last, *r_sums, r_rows), (h_first, h_last, *h_sums))]
    return (key[order], *columns)


def _delete_old(table: sa.Table, key: sa.Column, keys: sa.Select, cutoff: int) -> sa.Delete:
    return sa.delete(table).where(key.in_(keys), table.c.ts <= int(cutoff))


def _newest_ts(slo_pk) -> sa.Select:
    return sa.select(sa.func.max(sli_samples.c.ts)).where(sli_samples.c.slo_pk == slo_pk)


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
