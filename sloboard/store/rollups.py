"""Keeping the hourly rollups in step with the sample tables, inside the write's transaction.

An hourly row ``(key, h)`` holds the sums of the step values in ``(h - 3600, h]`` and
``steps``, how many steps are stored there. After a write of steps ``ts`` (sorted), with
``newest`` the key's newest stored ts before the write:

- hours after the one holding ``newest`` can hold no earlier steps, so their rows are
  summed from the written arrays in numpy (the common, incremental case);
- earlier hours (a re-collection or backfill, or the hour the last write ended in) are
  rebuilt from the stored steps with one ``INSERT ... SELECT ... GROUP BY``, so
  rewriting steps never double-counts. Steps already removed by retention are not
  brought back: a write that old rebuilds its hour from what remains.
"""

from __future__ import annotations

import numpy as np

from .sample_layout import HOUR, SampleTable, hour_end, upsert_sql


def update(raw, sqlite: bool, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray], newest: int | None) -> None:
    """Bring ``table.hourly`` up to date for the hours holding ``ts``; ``raw`` is the DBAPI connection."""
    hours = hour_end(ts)
    only_new = hours > hour_end(newest) if newest is not None else np.ones(ts.size, dtype=bool)
    if not only_new.all():  # a prefix, since ts is sorted
        old = ~only_new
        _rebuild_from_table(raw, sqlite, table, key, int(ts[old][0]), int(ts[old][-1]))
    if only_new.any():
        write_sums(raw, sqlite, table, key, hours[only_new], [v[only_new] for v in values])


def write_sums(raw, sqlite: bool, table: SampleTable, key: int, hours: np.ndarray, values: list[np.ndarray]) -> None:
    """Upsert one rollup row per distinct hour of ``hours`` (each step's hour end, sorted):
    the sums of ``values`` and the step count."""
    starts = np.flatnonzero(np.r_[True, hours[1:] != hours[:-1]])
    sums = [np.add.reduceat(v, starts) for v in values]
    steps = np.diff(np.r_[starts, hours.size])
    rollup = table.hourly
    columns = [[key] * starts.size, hours[starts].tolist(), *(s.tolist() for s in sums), steps.tolist()]
    if sqlite:
        raw.executemany(upsert_sql(rollup, f"VALUES ({', '.join('?' for _ in rollup.columns)})"), zip(*columns))
    else:
        # One statement over arrays: a row-by-row executemany costs more than the COPY itself.
        types = ["integer", "bigint"] + ["bigint" if v in rollup.int_values else "float8" for v in rollup.values]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        raw.execute(upsert_sql(rollup, f"SELECT * FROM unnest({arrays})"), columns)


def _rebuild_from_table(raw, sqlite: bool, table: SampleTable, key: int, first_ts: int, last_ts: int) -> None:
    rollup = table.hourly
    mark = "?" if sqlite else "%s"
    sums = ", ".join(f"sum({v})" for v in table.values)
    source = (
        f"SELECT {table.key}, ((ts + {HOUR - 1}) / {HOUR}) * {HOUR}, {sums}, count(*) FROM {table.name} "
        f"WHERE {table.key} = {mark} AND ts > {mark} AND ts <= {mark} GROUP BY 1, 2"
    )
    raw.execute(upsert_sql(rollup, source), (key, hour_end(first_ts) - HOUR, hour_end(last_ts)))
