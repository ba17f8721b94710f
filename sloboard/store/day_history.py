"""History older than a kind's hourly retention, kept as daily sums only (golden signals).

Past ``Retention.day_horizon`` the prune has deleted the hourly rows of whole days and
kept their daily rows, which are then the only record of those days. So:

- a write of whole days older than the horizon stores their daily sums only
  (:func:`write_days_only`), what the store would hold once the prune had run;
- a write of part of such a day could only rebuild the day from its hours (the rollups
  do, ``rollups.update``, ``rollups.rebuild_days``), and those hours are gone: it would
  replace the day's sums by the sums of the part written. :func:`refuse_summed_days`
  refuses it. A day whose hours are all still there (a backfill before its prune, the
  partial day at a batch's edge) is rebuilt exactly and is let through.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from ..errors import StoreError
from . import rollups, samples
from .sample_layout import DAY, SampleTable, day_end, floor_day


def whole_days_mask(ts: np.ndarray, span: tuple[int, int] | None, horizon: int | None) -> np.ndarray:
    """The steps of ``ts`` to keep as daily sums only: those in the whole UTC days of
    ``span = (after, through]`` (the range a batch holds all the data of) that end at or
    before ``horizon`` (None: none)."""
    if span is None or horizon is None:
        return np.zeros(ts.size, dtype=bool)
    after, through = span
    first, last = int(day_end(int(after))), min(int(floor_day(int(through))), int(horizon))
    return (ts > first) & (ts <= last)


def write_days_only(conn: sa.Connection, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray]) -> int:
    """Store prepared steps of one key as their daily sums only; returns the steps summed.

    The batch is taken as the complete data of the days from the one holding its first
    step to the one holding its last: their steps, hourly and daily rows are replaced.
    """
    if ts.size == 0:
        return 0
    raw, sqlite, mark = samples._begin_key_write(conn, table, key)  # writers of one key take turns
    days = day_end(ts)
    span = (key, int(days[0]) - DAY, int(days[-1]))
    for target in (table, table.hourly, table.daily):
        raw.execute(f"DELETE FROM {target.name} WHERE {target.key} = {mark} AND ts > {mark} AND ts <= {mark}", span)
    rollups.write_sums(raw, sqlite, table.daily, key, days, values)
    return int(ts.size)


def refuse_summed_days(conn: sa.Connection, table: SampleTable, key: int, ts: np.ndarray, horizon: int | None,
                       what: str) -> None:
    """Raise StoreError if a step of ``ts`` (written other than as whole days) lies in a day
    ending at or before ``horizon`` whose daily row holds more steps than its hourly rows:
    rebuilding it from those hours would lose the rest of the day."""
    if horizon is None or ts.size == 0 or ts[0] > horizon:
        return
    days = np.unique(day_end(ts[ts <= horizon]))
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    daily, hourly = table.daily, table.hourly
    query = (f"SELECT d.ts FROM {daily.name} d WHERE d.{daily.key} = {mark} "
             f"AND d.ts IN ({', '.join(mark for _ in days)}) AND d.steps > "
             f"(SELECT coalesce(sum(h.steps), 0) FROM {hourly.name} h WHERE h.{hourly.key} = d.{daily.key} "
             f"AND h.ts > d.ts - {DAY} AND h.ts <= d.ts)")
    summed = [int(row[0]) for row in conn.connection.driver_connection.execute(query, (key, *map(int, days)))]
    if summed:
        from datetime import datetime, timezone

        names = ", ".join(datetime.fromtimestamp(d - DAY, timezone.utc).strftime("%Y-%m-%d") for d in summed)
        raise StoreError(
            f"{what}: the UTC day(s) {names} are kept as daily sums only (older than the hourly retention) and this "
            f"write holds part of them; re-write whole UTC days there (a span from one midnight to another), "
            f"or the day's other steps would be lost")
