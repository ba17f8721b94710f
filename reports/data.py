"""What a report knows about a calendar period, read through the read package.

A report reads what the dashboard reads, only over a calendar period instead of an
SLO's own window: each SLO is evaluated with its window set to the period's calendar
unit in the configured time zone (``reads.status.slo_status`` at the period's end),
so the SLI, good and total events and budget of the report are the status the engine
gives for that month, and the dashboard would show on the SLO page of a calendar-window
SLO. DORA is ``engine.dora.dora_metrics`` over the deployments started in
``[start, end)``, the definition every DORA number of the dashboard uses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from sloboard.domain import SLO, Deployment, Window
from sloboard.engine.cost import cost_in_window
from sloboard.engine.dora import BandScales, DoraMetrics, dora_metrics
from sloboard.reads.cost import merge_cost_scopes
from sloboard.reads.health import SampleGaps, sample_gaps
from sloboard.reads.plan import read_series_sums
from sloboard.reads.status import SLOEntry, read_slo_rows, slo_status

from .periods import UNITS, Period

_NOMINAL_DAYS = {"week": 7, "month": 30, "quarter": 90}


def in_period(slo: SLO, period: Period) -> SLO:
    """``slo`` with its window set to the calendar unit of ``period`` (evaluated at its end)."""
    unit = UNITS[period.kind]
    window = Window(duration=timedelta(days=_NOMINAL_DAYS[unit]), calendar_unit=unit, timezone=period.timezone)
    return dataclasses.replace(slo, window=window)


def period_slos(store, slos: Sequence[SLO], period: Period, step_s: int) -> list[SLOEntry]:
    """Each SLO over the calendar period (sorted by id): ``slo_status`` at ``period.end``."""
    windowed = sorted((in_period(s, period) for s in slos), key=lambda s: s.id)
    if not windowed:
        return []
    rows = read_slo_rows(store, windowed, period.end, step_s)
    return [slo_status(s, rows[s.id], period.end, step_s) for s in windowed]


def period_gaps(store, slos: Sequence[SLO], period: Period, step_s: int) -> list[SampleGaps]:
    """Missing steps of each SLO over the period (``reads.health.sample_gaps``)."""
    return sample_gaps(store, [in_period(s, period) for s in slos], period.end, step_s)


def period_deployments(store, period: Period) -> list[Deployment]:
    """Deployments started in ``[start, end)``, oldest first (the store reads ``(a, b]``)."""
    return store.deployments(start=period.start - 1, end=period.end - 1)


def period_dora(deployments: Sequence[Deployment], period: Period, bands: BandScales) -> DoraMetrics:
    return dora_metrics(deployments, _utc(period.start), _utc(period.end), bands)


def local_days(period: Period) -> list[tuple[int, int]]:
    """The ``[start, end)`` of each local calendar day of the period (23 or 25 hours across DST)."""
    zone = ZoneInfo(period.timezone)
    day = datetime.fromtimestamp(period.start, zone).date()
    out = []
    while True:
        start = int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())
        if start >= period.end:
            return out
        day = day + timedelta(days=1)
        out.append((start, min(period.end, int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()))))


def local_months(period: Period) -> list[Period]:
    """The months of a quarter (or the month itself), as monthly periods."""
    from .periods import parse_period

    zone = ZoneInfo(period.timezone)
    first = datetime.fromtimestamp(period.start, zone)
    months = 3 if period.kind == "quarterly" else 1
    out = []
    for k in range(months):
        year, month = first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1
        out.append(parse_period("monthly", f"{year}-{month:02d}", period.timezone))
    return out


@dataclass(frozen=True)
class PeriodCost:
    """Spend of every scope together (``total``) over the period, and per local day (USD; None: no data)."""

    usd: float | None
    daily: tuple[float | None, ...]


def period_cost(store, slos: Sequence[SLO], period: Period) -> PeriodCost:
    """The cost the dashboard's ``total`` scope sums (``reads.cost.merge_cost_scopes``), over ``(start, end]``.

    The database sums each local day (``reads.plan.read_series_sums``: hourly rollups for
    whole hours), so a quarter is a few rows per series, and months older than the
    per-step retention still have their cost.
    """
    team_of = {s.service: s.team for s in slos if s.team}
    days = local_days(period)
    rows = read_series_sums(store, "cost", store.series_keys("cost"), [a for a, _ in days], period.end)
    merged = merge_cost_scopes({key: (ts, usd) for key, (_first, ts, usd, _steps) in rows.items()}, team_of)
    ts, usd = merged.get("total", (np.empty(0, np.int64), np.empty(0)))
    days = tuple(cost_in_window(ts, usd, a, b) for a, b in days)
    return PeriodCost(cost_in_window(ts, usd, period.start, period.end), days)


def deployments_per_day(deployments: Sequence[Deployment], period: Period) -> dict[str, list[int]]:
    """Deployments started on each local day of the period, by status."""
    days = local_days(period)
    bounds = np.array([a for a, _ in days] + [days[-1][1]], dtype=np.int64)
    out: dict[str, list[int]] = {}
    for status in ("succeeded", "failed", "rolled_back"):
        started = np.array([int(d.started_at.timestamp()) for d in deployments if d.status.value == status], np.int64)
        counts, _ = np.histogram(started, bins=bounds)
        out[status] = [int(c) for c in counts]
    return out


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)
