"""SLI samples and series (golden signals, cost) in the store: writes with their
watermark, reads of steps, hourly and daily rollups, spans and per-piece sums, and the
retention deletes.

A mixin of ``Store`` (it uses the store's transactions, clock, retention and key
caches), as ``accounts.py`` is.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import sqlalchemy as sa

from ..errors import StoreError
from . import completeness, day_history, rollups, samples
from .dialect import insert
from .models import series, series_daily, series_hourly, series_samples, sli_daily, sli_hourly, sli_samples, slos
from .sample_layout import DAY, HOUR, SERIES_SAMPLES, SLI_HOURLY, SLI_SAMPLES, day_end, floor_day

SLISamples = tuple[np.ndarray, np.ndarray, np.ndarray]  # ts int64, good float64, total float64
SeriesSamples = tuple[np.ndarray, np.ndarray]  # ts int64, value float64
SLIHourly = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # hour end, good, total, steps
SeriesHourly = tuple[np.ndarray, np.ndarray, np.ndarray]  # hour end, sum of values, steps


ACROSS = "*"  # the name of the sums of all the series a read asked for (``read_series_sums_many``' ``across``)


class SamplesMixin:
    """Per-step samples and hourly rollups of SLIs and series."""

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
        """Steps as steps, except whole hours of ``span`` past the step retention of ``kind`` (as hourly
        sums) and whole days past its hourly retention (as daily sums, ``day_history``)."""
        if self._retention is None:
            return samples.write(conn, table, key, ts, values)
        now = self._clock()
        day_horizon = self._retention.day_horizon(kind, now)
        days = day_history.whole_days_mask(ts, span, day_horizon)
        day_history.refuse_summed_days(conn, table, key, ts[~days], day_horizon, f"database {self._label}")
        if span is None:
            return samples.write(conn, table, key, ts, values)
        history = samples.history_mask(ts, span, self._retention.raw_horizon(kind, now)) & ~days
        recent = ~(history | days)
        # Days after hours: the hours' write rebuilds every day of its span from hours, the old days too.
        return (samples.write_rollup_only(conn, table, key, ts[history], [v[history] for v in values])
                + day_history.write_days_only(conn, table, key, ts[days], [v[days] for v in values])
                + samples.write(conn, table, key, ts[recent], [v[recent] for v in values]))

    def read_sli_samples(self, slo_id: str, start: int, end: int) -> SLISamples:
        """``(ts, good, total)`` of one SLO with ``start < ts <= end``, sorted by ts."""
        return self.read_sli_samples_many([slo_id], start, end)[slo_id]

    def read_sli_samples_many(self, slo_ids: Sequence[str], start: int, end: int) -> dict[str, SLISamples]:
        """``{slo_id: (ts, good, total)}`` for every id asked, in one query.

        An SLO without samples in the range (or unknown to the store) maps to empty arrays.
        """
        with self._transaction("reading SLI samples", write=False) as conn:
            pks, known = self._slo_keys(conn, slo_ids)
            keys, ts, (good, total) = samples.read(conn, SLI_SAMPLES, known, start, end)
        return samples.split_by_key(pks, keys, ts, good, total)

    def read_sli_hourly_many(self, slo_ids: Sequence[str], start: int, end: int) -> dict[str, SLIHourly]:
        """``{slo_id: (ts, good, total, steps)}`` from the hourly rollup, hours ending in ``(start, end]``.

        ``ts`` is the end of each hour, ``good``/``total`` the sums of its steps and
        ``steps`` (int64) how many steps were stored in it. Sums over whole hours equal
        the sums of the per-step samples; unknown SLOs map to empty arrays.
        """
        with self._transaction("reading hourly SLI rollups", write=False) as conn:
            pks, known = self._slo_keys(conn, slo_ids)
            keys, ts, (good, total, steps) = samples.read(conn, SLI_HOURLY, known, start, end)
        return samples.split_by_key(pks, keys, ts, good, total, steps)

    def read_sli_spans_many(
        self, slo_ids: Sequence[str], raw_spans: Sequence[tuple[int, int]],
        hourly_spans: Sequence[tuple[int, int]], daily_spans: Sequence[tuple[int, int]] = (),
    ) -> tuple[dict[str, SLISamples], dict[str, SLIHourly]]:
        """Per-step samples in each ``(start, end]`` of ``raw_spans``, and the rollup rows of the
        hours ending in ``hourly_spans`` and of the days ending in ``daily_spans``, for every id
        asked, in one read transaction.

        Each list of spans is disjoint and ascending, and hours and days do not overlap; an
        SLO's samples from all spans come back as one sorted array, and so do its hourly and
        daily rows, as ``(ts, good, total, steps)`` (``ts`` the end of the row's hour or day).
        Shapes as in ``read_sli_samples_many`` and ``read_sli_hourly_many``.
        """
        with self._transaction("reading SLI samples and rollups", write=False) as conn:
            pks, known = self._slo_keys(conn, slo_ids)
            keys, ts, (good, total) = _read_spans(conn, SLI_SAMPLES, known, raw_spans)
            h_keys, h_ts, (h_good, h_total, h_steps) = _read_rollup_spans(conn, SLI_SAMPLES, known, hourly_spans,
                                                                           daily_spans)
        return (
            samples.split_by_key(pks, keys, ts, good, total),
            samples.split_by_key(pks, h_keys, h_ts, h_good, h_total, h_steps),
        )

    def read_sli_sums_many(
        self, slo_ids: Sequence[str], raw_pieces: Sequence[tuple[int, int]], hourly_pieces: Sequence[tuple[int, int]],
        daily_pieces: Sequence[tuple[int, int]] = (),
    ) -> samples.PieceSums:
        """Per piece, the sums of each SLO's counts that the database adds up (``values``:
        good, total), in one read transaction.

        Each ``(a, b]`` of ``raw_pieces`` sums the per-step samples with ``a < ts <= b``
        (``steps``: how many); each of ``hourly_pieces`` the hourly rollup rows ending in it
        (``steps``: the steps they hold), so its bounds are hour ends; each of
        ``daily_pieces`` likewise the daily rows (bounds: UTC day ends). Pieces of one kind
        are disjoint; pieces of different kinds may overlap (a caller may sum an hour's
        rollup row and steps inside it). A piece without rows gives none; the others one
        row each, ``piece`` its index in raw, hourly, daily order. Unknown SLOs have no rows
        (``samples.PieceSums``).
        """
        with self._transaction("reading sums of SLI samples and hourly rollups", write=False) as conn:
            pks, known = self._slo_keys(conn, slo_ids)
            return samples.PieceSums(pks, *_read_piece_sums(conn, SLI_SAMPLES, known, raw_pieces, hourly_pieces,
                                                            daily_pieces))

    def read_sli_coverage_many(self, slo_ids: Sequence[str], start: int, end: int,
                               full_steps: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{slo_id: (complete_hours, steps)}``: the stored steps with ``start < ts <= end``,
        the hours wholly inside holding ``full_steps`` steps as their hour ends, every other
        step as its ``ts`` (``completeness.step_coverage``). Unknown SLOs map to empty arrays."""
        with self._transaction("reading which SLI steps are stored", write=False) as conn:
            pks, known = self._slo_keys(conn, slo_ids)
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
        self, cutoff: int, *, kind_cutoffs: Mapping[str, int] | None = None, rollup_cutoff: int | None = None,
        kind_hourly_cutoffs: Mapping[str, int] | None = None,
    ) -> int:
        """Retention: delete per-step SLI and series samples with ``ts <= cutoff``; returns rows deleted.

        ``kind_cutoffs`` gives series of some kinds their own cutoff (golden signals keep
        fewer days of steps than SLIs). The rollups are kept, so long windows still have
        their history, up to ``rollup_cutoff``: hourly rows of hours ending at or before
        it are deleted too, and so are daily rows of days ending at or before it; the day
        that holds the cutoff keeps the sums of the hours it keeps (``rollups.rebuild_days``).

        ``kind_hourly_cutoffs`` deletes the hourly rows of series of some kinds earlier
        (golden signals), at a UTC day boundary, so a day keeps all its hours or none; their
        daily rows stay, and are never rebuilt from the hours left: the day holding
        ``rollup_cutoff`` keeps its whole row until the day has passed it.
        """
        kind_cutoffs = dict(kind_cutoffs or {})
        kind_hourly_cutoffs = {kind: int(c) for kind, c in (kind_hourly_cutoffs or {}).items()}
        if any(c % DAY for c in kind_hourly_cutoffs.values()):
            raise ValueError(f"hourly cutoffs of series kinds must be UTC day boundaries; got {kind_hourly_cutoffs}")
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
            rollup_cutoff = int(rollup_cutoff)
            deletes += [
                _delete_old(sli_hourly, sli_hourly.c.slo_pk, every_slo, rollup_cutoff),
                _delete_old(series_hourly, series_hourly.c.series_id, sa.select(series.c.id), rollup_cutoff),
                _delete_old(sli_daily, sli_daily.c.slo_pk, every_slo, floor_day(rollup_cutoff)),
                _delete_old(series_daily, series_daily.c.series_id, sa.select(series.c.id), floor_day(rollup_cutoff)),
            ]
        deletes += [
            _delete_old(series_hourly, series_hourly.c.series_id, sa.select(series.c.id).where(series.c.kind == kind),
                        hourly_cutoff)
            for kind, hourly_cutoff in kind_hourly_cutoffs.items()
        ]
        with self._transaction("deleting old samples", write=True) as conn:
            deleted = sum(conn.execute(statement).rowcount for statement in deletes)
            if rollup_cutoff is not None and rollup_cutoff % DAY:
                raw = conn.connection.driver_connection
                mark = "?" if conn.dialect.name == "sqlite" else "%s"
                # Keys from their tables, as above: each key's day is a range of its primary key. Series
                # whose old hours are pruned keep their day rows as they are (their hours are gone).
                kinds = list(kind_hourly_cutoffs)
                series_keys = "SELECT id FROM series" + (f" WHERE kind NOT IN ({', '.join(mark for _ in kinds)})"
                                                         if kinds else "")
                for table, keys, params in ((SLI_SAMPLES, "SELECT id FROM slos", ()),
                                            (SERIES_SAMPLES, series_keys, tuple(kinds))):
                    rollups.rebuild_days(raw, mark, table, f"{table.key} IN ({keys})", params,
                                         floor_day(rollup_cutoff), day_end(rollup_cutoff))
            return deleted

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

    def read_series_many(
        self, kind: str, keys: Sequence[tuple[str, str]], start: int, end: int
    ) -> dict[tuple[str, str], SeriesSamples]:
        """``{(scope, name): (ts, values)}`` for every key asked, in one query."""
        with self._transaction("reading series", write=False) as conn:
            ids, known = self._series_keys(conn, kind, keys)
            found, ts, (values,) = samples.read(conn, SERIES_SAMPLES, known, start, end)
        return samples.split_by_key(ids, found, ts, values)

    def read_series_spans_many(
        self, kind: str, keys: Sequence[tuple[str, str]], raw_spans: Sequence[tuple[int, int]],
        hourly_span: tuple[int, int], daily_span: tuple[int, int] | None = None,
    ) -> tuple[dict[tuple[str, str], SeriesSamples], dict[tuple[str, str], SeriesHourly]]:
        """``read_sli_spans_many`` for series: per-step values in ``raw_spans``, and the hourly rows
        ending in ``hourly_span`` with the daily rows ending in ``daily_span`` (before it) as one
        sorted array, in one read transaction."""
        with self._transaction("reading series and hourly rollups", write=False) as conn:
            ids, known = self._series_keys(conn, kind, keys)
            found, ts, (values,) = _read_spans(conn, SERIES_SAMPLES, known, raw_spans)
            h_found, h_ts, (sums, steps) = _read_rollup_spans(
                conn, SERIES_SAMPLES, known, [span for span in (hourly_span,) if span[0] < span[1]],
                [span for span in (daily_span,) if span is not None and span[0] < span[1]])
        return samples.split_by_key(ids, found, ts, values), samples.split_by_key(ids, h_found, h_ts, sums, steps)

    def read_series_sums_many(
        self, kind: str, keys: Sequence[tuple[str, str]], raw_pieces: Sequence[tuple[int, int]],
        hourly_pieces: Sequence[tuple[int, int]], daily_pieces: Sequence[tuple[int, int]] = (), *,
        across: bool = False,
    ) -> samples.PieceSums:
        """``read_sli_sums_many`` for series (``values``: the sum of values). ``across``: the sums
        of all the series asked together, under the name ``ACROSS`` (``samples.read_sums``)."""
        with self._transaction("reading sums of series and rollups", write=False) as conn:
            ids, known = self._series_keys(conn, kind, keys)
            arrays = _read_piece_sums(conn, SERIES_SAMPLES, known, raw_pieces, hourly_pieces, daily_pieces, across)
            return samples.PieceSums({ACROSS: 0} if across else ids, *arrays)

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

    def _series_keys(self, conn: sa.Connection, kind: str, keys: Sequence[tuple[str, str]]
                     ) -> tuple[dict[tuple[str, str], int | None], list[int]]:
        """``samples.lookup_keys`` for series of ``kind``; the ids found are cached (they exist)."""
        ids, known = samples.lookup_keys(keys, lambda key: self._series_id(conn, kind, *key, create=False))
        self._series_ids.update({(kind, *key): i for key, i in ids.items() if i is not None})
        return ids, known


def _read_spans(conn: sa.Connection, table, keys: Sequence[int], spans: Sequence[tuple[int, int]]):
    """``samples.read`` over disjoint, ascending ``(start, end]`` spans: ``(key, ts, [values])``
    sorted by key, then ts."""
    bounds = _checked_spans(spans)
    parts = [samples.read(conn, table, keys, start, end) for start, end in bounds] or [samples.read(conn, table, [], 0, 0)]
    return _by_key_and_ts(parts, len(table.values))


def _read_rollup_spans(conn: sa.Connection, table, keys: Sequence[int], hourly_spans: Sequence[tuple[int, int]],
                       daily_spans: Sequence[tuple[int, int]]):
    """The hourly rows of ``table`` ending in ``hourly_spans`` and its daily rows ending in
    ``daily_spans``, as one ``(key, ts, [values..., steps])`` sorted by key, then ts."""
    parts = [samples.read(conn, table.hourly, keys, a, b) for a, b in _checked_spans(hourly_spans)]
    parts += [samples.read(conn, table.daily, keys, a, b) for a, b in _checked_spans(daily_spans)]
    return _by_key_and_ts(parts or [samples.read(conn, table.hourly, [], 0, 0)], len(table.hourly.values))


def _checked_spans(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    bounds = [(int(start), int(end)) for start, end in spans]
    if any(start >= end for start, end in bounds) or any(a[1] > b[0] for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"sample spans must be non-empty, disjoint and ascending (start, end] pairs; got {bounds}")
    return bounds


def _by_key_and_ts(parts, n_values: int):
    """``samples.read`` results of disjoint spans as one ``(key, ts, [values])`` sorted by key, then ts."""
    key = np.concatenate([p[0] for p in parts])
    ts = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ts, key))
    return key[order], ts[order], [np.concatenate([p[2][i] for p in parts])[order] for i in range(n_values)]


def _read_piece_sums(conn: sa.Connection, table, keys: Sequence[int], raw_pieces: Sequence[tuple[int, int]],
                     hourly_pieces: Sequence[tuple[int, int]], daily_pieces: Sequence[tuple[int, int]],
                     across: bool = False):
    """``(key, piece, first, last, [sums], steps)`` sorted by key, then ts: ``samples.read_sums``
    of the per-step rows over ``raw_pieces`` (steps: rows summed) and of the hourly and
    daily rollups over ``hourly_pieces`` and ``daily_pieces`` (steps: their ``steps``
    summed), ``piece`` counting the pieces in that order."""
    if conn.dialect.name != "sqlite":
        # Keep each key's rows summed in index (ts) order, whatever the keys asked: a
        # bitmap or parallel scan would add them in another order, and a status read for
        # one SLO would then differ in the last bits from the same SLO's in a report.
        for setting in ("enable_seqscan = off", "enable_bitmapscan = off", "max_parallel_workers_per_gather = 0"):
            conn.connection.driver_connection.execute(f"SET LOCAL {setting}")
    parts, offset = [], 0
    for source, pieces, row_s in ((table, raw_pieces, None), (table.hourly, hourly_pieces, HOUR),
                                  (table.daily, daily_pieces, DAY)):
        key, piece, first, last, sums, rows = samples.read_sums(conn, source, keys, pieces, row_s, across=across)
        # A rollup's steps column is its last sum; the rows summed of steps are their count.
        parts.append((key, piece + offset, first, last, *sums) + ((rows,) if source is table else ()))
        offset += len(pieces)
    key, last = np.concatenate([p[0] for p in parts]), np.concatenate([p[3] for p in parts])
    order = np.lexsort((last, key))
    key, piece, first, last, *columns = (np.concatenate(column)[order] for column in zip(*parts))
    return key, piece, first, last, columns[:-1], columns[-1]


def _delete_old(table: sa.Table, key: sa.Column, keys: sa.Select, cutoff: int) -> sa.Delete:
    return sa.delete(table).where(key.in_(keys), table.c.ts <= int(cutoff))


def _newest_ts(slo_pk) -> sa.Select:
    return sa.select(sa.func.max(sli_samples.c.ts)).where(sli_samples.c.slo_pk == slo_pk)
