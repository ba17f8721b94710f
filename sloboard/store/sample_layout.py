"""The shape shared by the sample tables and their hourly and daily rollups, and SQL built from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOUR = 3600
DAY = 86_400  # UTC days: a whole number of hours, so every hour lies inside one day


@dataclass(frozen=True)
class SampleTable:
    """A table of ``(key, ts, *values)`` rows with primary key ``(key, ts)``.

    Values are float64 except those named in ``int_values`` (int64). ``hourly`` and
    ``daily`` are the rollup tables kept in step with this one (see ``rollups.update``).
    """

    name: str
    key: str
    values: tuple[str, ...]
    lock_class: int = 0  # first key of the PostgreSQL advisory lock that serialises writers of one key
    int_values: tuple[str, ...] = ()
    hourly: "SampleTable | None" = None
    daily: "SampleTable | None" = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.key, "ts", *self.values)

    def dtype_of(self, value: str) -> type:
        return np.int64 if value in self.int_values else np.float64


SLI_HOURLY = SampleTable("sli_hourly", "slo_pk", ("good", "total", "steps"), int_values=("steps",))
SERIES_HOURLY = SampleTable("series_hourly", "series_id", ("value", "steps"), int_values=("steps",))
SLI_DAILY = SampleTable("sli_daily", "slo_pk", ("good", "total", "steps"), int_values=("steps",))
SERIES_DAILY = SampleTable("series_daily", "series_id", ("value", "steps"), int_values=("steps",))
SLI_SAMPLES = SampleTable("sli_samples", "slo_pk", ("good", "total"), lock_class=0x510B0A01, hourly=SLI_HOURLY,
                          daily=SLI_DAILY)
SERIES_SAMPLES = SampleTable("series_samples", "series_id", ("value",), lock_class=0x510B0A02, hourly=SERIES_HOURLY,
                             daily=SERIES_DAILY)


def hour_end(ts):
    """The end of the hour that holds a step ending at ``ts`` (int or int64 array):
    steps in ``(h - 3600, h]`` roll up to ``h``."""
    return -(-ts // HOUR) * HOUR


def floor_hour(ts):
    """The hour boundary at or before ``ts`` (int or int64 array)."""
    return ts - ts % HOUR


def day_end(ts):
    """The end of the UTC day that holds a step (or an hour) ending at ``ts``: ``(d - 86400, d]``
    rolls up to ``d``."""
    return -(-ts // DAY) * DAY


def floor_day(ts):
    """The UTC day boundary at or before ``ts``."""
    return ts - ts % DAY


def upsert_sql(table: SampleTable, source: str) -> str:
    """``INSERT INTO table (...) <source> ON CONFLICT (key, ts) DO UPDATE`` of every value column."""
    cols = ", ".join(table.columns)
    updates = ", ".join(f"{v} = excluded.{v}" for v in table.values)
    return f"INSERT INTO {table.name} ({cols}) {source} ON CONFLICT ({table.key}, ts) DO UPDATE SET {updates}"
