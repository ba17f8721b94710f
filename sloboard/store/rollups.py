"""Keeping the hourly and daily rollups in step with the sample tables, inside the write's transaction.

An hourly row ``(key, h)`` holds the sums of the step values in ``(h - 3600, h]`` and
``steps``, how many steps are stored there; a daily row ``(key, d)`` the same over the
UTC day ``(d - 86400, d]``, which is the sum of that day's hourly rows (an hour lies
inside one day). After a write of steps ``ts`` (sorted), with ``newest`` the key's
newest stored ts before the write:

- hours after the one holding ``newest`` can hold no earlier steps, so their rows are
  summed from the written arrays in numpy (the common, incremental case);
- earlier hours (a re-collection or backfill, or the hour the last write ended in) are
  rebuilt from the stored steps with one ``INSERT ... SELECT ... GROUP BY``, so rewriting
  steps never double-counts. Steps already removed by retention are not brought back: a
  write that old rebuilds its hour from what remains;
- then every day the write touched is rebuilt from its hourly rows with one more
  ``INSERT ... SELECT ... GROUP BY`` (at most 24 rows a day). Not from the written
  arrays: a day after ``newest`` may still hold hours kept as sums only (history, whose
  steps are gone), which its row must keep counting.

So every daily row equals the sum of its day's hourly rows (but for the order of the
additions), whatever the writes: history written as hourly sums only
(``samples.write_rollup_only``) and the retention prune rebuild the days they touch
from the hours too (:func:`rebuild_days`).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .sample_layout import DAY, HOUR, SampleTable, day_end, hour_end, upsert_sql


def update(raw, sqlite: bool, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray], newest: int | None) -> None:
    """Bring ``table.hourly`` and ``table.daily`` up to date for the hours and days holding ``ts``;
    ``raw`` is the DBAPI connection."""
    mark = "?" if sqlite else "%s"
    hours = hour_end(ts)
    only_new = hours > hour_end(newest) if newest is not None else np.ones(ts.size, dtype=bool)
    if not only_new.all():  # a prefix, since ts is sorted
        old = hours[~only_new]
        _rebuild_hours(raw, mark, table, key, int(old[0]) - HOUR, int(old[-1]))
    if only_new.any():
        write_sums(raw, sqlite, table.hourly, key, hours[only_new], [v[only_new] for v in values])
    if table.daily is not None:
        _rebuild_days_of_key(raw, mark, table, key, int(day_end(ts[0])) - DAY, int(day_end(ts[-1])))


def write_sums(raw, sqlite: bool, rollup: SampleTable, key: int, periods: np.ndarray, values: list[np.ndarray]) -> None:
    """Upsert one ``rollup`` row per distinct period end of ``periods`` (each step's, sorted):
    the sums of ``values`` and the step count."""
    starts = np.flatnonzero(np.r_[True, periods[1:] != periods[:-1]])
    sums = [np.add.reduceat(v, starts) for v in values]
    steps = np.diff(np.r_[starts, periods.size])
    if sqlite:
        columns = [[key] * starts.size, periods[starts].tolist(), *(s.tolist() for s in sums), steps.tolist()]
        raw.executemany(upsert_sql(rollup, f"VALUES ({', '.join('?' for _ in rollup.columns)})"), zip(*columns))
        return
    # One statement over arrays: a row-by-row executemany costs more than the COPY itself, and
    # arrays of Python numbers took psycopg half the statement's time to quote.
    columns = [np.full(starts.size, key), periods[starts], *sums, steps]
    types = [("integer", ">i4"), ("bigint", ">i8")] + [("bigint", ">i8") if v in rollup.int_values else ("float8", ">f8")
                                                      for v in rollup.values]
    raw.adapters.register_dumper(_PgArray, _pg_array_dumper())  # on each call: cheap, and no connection hook
    raw.execute(upsert_sql(rollup, f"SELECT * FROM unnest({', '.join(f'%b::{t}[]' for t, _ in types)})"),
                [_PgArray(column, wire) for column, (_, wire) in zip(columns, types)])


_PG_ELEMENT_OIDS = {">i4": 23, ">i8": 20, ">f8": 701}  # int4, int8, float8


class _PgArray:
    """A one-dimensional numpy array as PostgreSQL's binary array format (``array_send``), built in
    one go: dimensions, no NULLs, the element type, then each element as its length and big-endian
    value. Sent untyped (oid 0): the statement's cast names the type."""

    __slots__ = ("payload",)

    def __init__(self, values: np.ndarray, wire: str):
        elements = np.empty(values.size, dtype=[("length", ">i4"), ("value", wire)])
        elements["length"], elements["value"] = np.dtype(wire).itemsize, values
        header = np.array([1, 0, _PG_ELEMENT_OIDS[wire], values.size, 1], dtype=">i4")
        self.payload = header.tobytes() + elements.tobytes()


@cache
def _pg_array_dumper() -> type:
    """psycopg's dumper of a ``_PgArray``, made on first use: a SQLite process never imports psycopg."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class PgArrayDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj: _PgArray) -> bytes:
            return obj.payload

    return PgArrayDumper


def rebuild_days(raw, mark: str, table: SampleTable, key_filter: str, params: tuple, after: int, through: int) -> None:
    """Replace the daily rows of the days ending in ``(after, through]`` (day ends) of the keys
    that ``key_filter`` (SQL on ``table.key``, with ``params``) selects by the sums of
    those days' hourly rows; a day left without hourly rows loses its row."""
    daily, hourly = table.daily, table.hourly
    if daily is None:
        return
    in_range = f"{key_filter} AND ts > {mark} AND ts <= {mark}"
    raw.execute(f"DELETE FROM {daily.name} WHERE {in_range}", (*params, after, through))
    raw.execute(f"INSERT INTO {daily.name} ({', '.join(daily.columns)}) {_days_from_hours(table, in_range)}",
                (*params, after, through))


def _rebuild_days_of_key(raw, mark: str, table: SampleTable, key: int, after: int, through: int) -> None:
    # A write keeps at least one hour of each day it touches: an upsert, not a delete and an insert.
    in_range = f"{table.key} = {mark} AND ts > {mark} AND ts <= {mark}"
    raw.execute(upsert_sql(table.daily, _days_from_hours(table, in_range)), (key, after, through))


def _days_from_hours(table: SampleTable, hourly_filter: str) -> str:
    """``SELECT key, day end, sums..., steps`` of the hourly rows that ``hourly_filter`` selects, per day."""
    sums = ", ".join(f"sum({v})" for v in table.hourly.values)
    return (f"SELECT {table.key}, ((ts + {DAY - 1}) / {DAY}) * {DAY}, {sums} FROM {table.hourly.name} "
            f"WHERE {hourly_filter} GROUP BY 1, 2")


def _rebuild_hours(raw, mark: str, table: SampleTable, key: int, after: int, through: int) -> None:
    sums = ", ".join(f"sum({v})" for v in table.values)
    source = (
        f"SELECT {table.key}, ((ts + {HOUR - 1}) / {HOUR}) * {HOUR}, {sums}, count(*) FROM {table.name} "
        f"WHERE {table.key} = {mark} AND ts > {mark} AND ts <= {mark} GROUP BY 1, 2"
    )
    raw.execute(upsert_sql(table.hourly, source), (key, after, through))
