"""Which steps are stored in a range, without reading every step: the reads behind data
completeness (missing steps, the longest gap).

An hour whose rollup row holds every step of the grid (``full`` steps) is complete, so
its hour end stands for all its steps; only the steps of the other hours, and of the
partial hours at the range's edges, are read one by one. A month of one-minute steps
per SLO is then about 744 rows instead of 44,640 (plus the steps of incomplete hours).
Steps are on the step grid (the collectors write step ends at multiples of the step),
so a rollup row of ``full`` steps means none is missing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sqlalchemy as sa

from .sample_layout import HOUR, SampleTable, floor_hour, hour_end

_ROWS = np.dtype([("key", np.int64), ("ts", np.int64)])


def step_coverage(conn: sa.Connection, table: SampleTable, keys: Sequence[int], start: int, end: int,
                  full: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stored steps of ``keys`` with ``start < ts <= end``, complete hours folded.

    Returns ``(hour_keys, hour_ends, step_keys, step_ts)``, each pair sorted by key, then
    ts: the ends of the hours wholly inside the range whose rollup row holds ``full``
    steps, and every other stored step of the range (the steps of incomplete hours and
    of the cut hours at either edge).
    """
    rollup = table.hourly
    if not keys or rollup is None:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, empty
    start, end, full = int(start), int(end), int(full)
    first, last = hour_end(start), floor_hour(end)  # whole hours end in (first, last]
    key_list = ", ".join(str(int(k)) for k in keys)
    if last <= first:  # no whole hour: every step is read
        hours = np.empty(0, _ROWS)
        steps = _rows(conn, f"SELECT {table.key}, ts FROM {table.name} WHERE {table.key} IN ({key_list}) "
                            f"AND ts > {start} AND ts <= {end} ORDER BY {table.key}, ts")
    else:
        in_hours = f"h.{table.key} IN ({key_list}) AND h.ts > {first} AND h.ts <= {last}"
        hours = _rows(conn, f"SELECT h.{table.key}, h.ts FROM {rollup.name} h WHERE {in_hours} AND h.steps = {full} "
                            f"ORDER BY h.{table.key}, h.ts")
        # Each incomplete hour is a range scan of the primary key, and so is each cut edge
        # (one SELECT each: SQLite scans all of a key's steps for an OR of two ranges).
        selects = [f"SELECT s.{table.key}, s.ts FROM {rollup.name} h JOIN {table.name} s "
                   f"ON s.{table.key} = h.{table.key} AND s.ts > h.ts - {HOUR} AND s.ts <= h.ts "
                   f"WHERE {in_hours} AND h.steps <> {full}"]
        selects += [f"SELECT {table.key}, ts FROM {table.name} WHERE {table.key} IN ({key_list}) "
                    f"AND ts > {a} AND ts <= {b}" for a, b in ((start, first), (last, end)) if a < b]
        steps = _rows(conn, " UNION ALL ".join(selects) + " ORDER BY 1, 2")
    return hours["key"], hours["ts"], steps["key"], steps["ts"]


def _rows(conn: sa.Connection, sql: str) -> np.ndarray:
    cursor = conn.connection.driver_connection.execute(sql)
    try:
        return np.fromiter((tuple(r) for r in cursor), dtype=_ROWS)
    finally:
        cursor.close()
