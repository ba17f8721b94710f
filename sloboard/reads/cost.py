"""Cost over a window: spend per scope over 1, 7 and 30 days and month to date (the status
report's ``cost``), its spend per chart bucket, and its KPI trends, each scope the sum
of the same series (:func:`merge_cost_scopes`, :func:`series_of_scope`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ..engine.buckets import Series
from ..engine.cost import IDLE_LABEL, IDLE_SCOPE, CostBudgets, budget_state, cost_in_window, forecast_month, month_bounds
from .plan import read_series_sums, read_series_sums_across
from .trends import DAY_S, HOUR_S, TREND_DAYS, Trend, trend, trend_day_cuts, trend_lookback

COST_WINDOWS = {"1d": DAY_S, "7d": 7 * DAY_S, "30d": 30 * DAY_S}
MONTH = "month"  # the window from the start of the month (in the time zone) to the instant


@dataclass(frozen=True)
class CostEntry:
    """Spend of one scope over ``window`` (``1d``, ``7d``, ``30d`` or ``month``) ending at the
    instant, in USD (None: no data). The monthly budget, the month-end forecast and the
    budget state (:func:`engine.cost.budget_state`) belong to the ``month`` window; the
    state is None without a budget."""

    scope: str
    name: str  # for people: :func:`cost_scope_name`
    window: str
    usd: float | None
    budget_usd: float | None = None
    forecast_usd: float | None = None
    budget_warning: bool | None = None
    forecast_overrun: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry of the public JSON contract; the budget state only where there is a budget."""
        out = {"scope": self.scope, "name": self.name, "window": self.window, "usd": self.usd,
               "budget_usd": self.budget_usd, "forecast_usd": self.forecast_usd}
        if self.budget_usd is not None:
            out.update(budget_warning=self.budget_warning, forecast_overrun=self.forecast_overrun)
        return out


def merge_cost_scopes(per_series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]],
                      team_of: dict[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``(ts, usd)`` per scope from ``{(scope, name): (ts, usd)}``, sorted by ts, with the
    sources of a scope (OpenCost, bill) added together.

    Teams get the cost of their services (``team_of`` maps service -> team) on top of
    any cost billed to the team directly; ``total`` is every stored sample once.
    """
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for (scope, _name), (ts, usd) in sorted(per_series.items()):
        parts.setdefault(scope, []).append((ts, usd))
        parts.setdefault("total", []).append((ts, usd))
        kind, _, service = scope.partition(":")
        if kind == "service" and service in team_of:
            parts.setdefault(f"team:{team_of[service]}", []).append((ts, usd))
    merged = {}
    for scope, pieces in parts.items():
        ts = np.concatenate([p[0] for p in pieces]) if pieces else np.empty(0, np.int64)
        usd = np.concatenate([p[1] for p in pieces]) if pieces else np.empty(0)
        order = np.argsort(ts, kind="stable")
        merged[scope] = (ts[order], usd[order])
    return merged


def series_of_scope(keys, scope: str, team_of: dict[str, str]) -> list[tuple[str, str]]:
    """The ``(scope, name)`` series that :func:`merge_cost_scopes` adds into ``scope``."""
    if scope == "total":
        return list(keys)
    kind, _, name = scope.partition(":")
    return [key for key in keys if key[0] == scope
            or kind == "team" and key[0].startswith("service:") and team_of.get(key[0].partition(":")[2]) == name]


def cost_scope_name(scope: str, *, bare: bool = False) -> str:
    """How a cost scope is shown: the idle remainder by what it is, any other as stored
    (``bare``: without its kind, ``checkout`` for ``service:checkout``)."""
    if scope == IDLE_SCOPE:
        return IDLE_LABEL
    return scope.partition(":")[2] if bare and ":" in scope else scope


def cost_cuts(at_epoch: int, timezone_name: str) -> list[int]:
    """The cuts of the cost read (``plan.read_series_sums``): the starts of the windows
    :func:`cost_entries` sums, the month's and ``at`` less each of ``COST_WINDOWS``."""
    month_start, _ = month_bounds(at_epoch, timezone_name)
    return sorted({month_start, *(at_epoch - length for length in COST_WINDOWS.values())})


def cost_entries(store, at_epoch: int, *, timezone_name: str, budgets: CostBudgets,
                 team_of: dict[str, str]) -> list[CostEntry]:
    """Spend per scope over 1, 7 and 30 days and month to date, with budget and forecast.

    Each entry names its scope for people too (``name``: :func:`cost_scope_name`). The
    monthly budget and the month-end forecast belong to the ``month`` window only. Read as
    sums per piece (cuts :func:`cost_cuts`), the newest row of each series at its newest
    step, so the forecast's newest sample time is exact (``plan.read_series_sums`` with
    ``exact_newest``): about ten rows per series.
    """
    month_start, _ = month_bounds(at_epoch, timezone_name)
    rows = read_series_sums(store, "cost", store.series_keys("cost"), cost_cuts(at_epoch, timezone_name),
                            at_epoch, exact_newest=True)
    merged = merge_cost_scopes({key: (ts, usd) for key, (_first, ts, usd, _steps) in rows.items()}, team_of)
    out = []
    for scope, (ts, usd) in sorted(merged.items()):
        for label, length in COST_WINDOWS.items():
            spent = cost_in_window(ts, usd, at_epoch - length, at_epoch)
            out.append(CostEntry(scope, cost_scope_name(scope), label, spent))
        mtd = cost_in_window(ts, usd, month_start, at_epoch)
        forecast = forecast_month(ts, usd, at_epoch, timezone_name)
        budget = budgets.budgets_usd.get(scope)
        warning = overrun = None
        if budget is not None:
            state = budget_state(mtd, forecast, budget, warn_at=budgets.warn_at, overrun_at=budgets.overrun_at)
            warning, overrun = state.warning, state.overrun
        out.append(CostEntry(scope, cost_scope_name(scope), MONTH, mtd, budget, forecast, warning, overrun))
    return out


def cost_buckets(store, cuts: Sequence[int], end: int, team_of: dict[str, str]) -> dict[str, Series]:
    """USD spent per scope in each bucket ``(cuts[k], cuts[k + 1]]``, the last ending at ``end``
    (``ts``: each bucket's end; NaN where no sample with a cost falls), with scopes merged as
    the status report merges them (:func:`merge_cost_scopes`).

    The database sums each piece between the cuts (``plan.read_series_sums``, as the reports'
    cost per day: hourly rollups for whole hours), so a bucket is a few rows per series and
    days older than the per-step retention keep their cost.
    """
    bounds = np.array([*cuts, end], dtype=np.int64)
    rows = read_series_sums(store, "cost", store.series_keys("cost"), cuts, end)
    merged = merge_cost_scopes({key: (ts, usd) for key, (_first, ts, usd, _steps) in rows.items()}, team_of)
    out = {}
    for scope, (ts, usd) in merged.items():
        known = ~np.isnan(usd)
        bucket = np.searchsorted(bounds, ts[known], side="left") - 1  # no piece spans a cut: ts in (b[k], b[k+1]]
        sums = np.bincount(bucket, weights=usd[known], minlength=len(cuts))
        seen = np.bincount(bucket, minlength=len(cuts)) > 0
        out[scope] = Series(bounds[1:], np.where(seen, sums, np.nan))
    return out


def local_day_cuts(start: int, end: int, timezone_name: str) -> list[int]:
    """``start`` and every local midnight in ``timezone_name`` after it and before ``end``: the cuts
    of local days (23 or 25 hours across a DST change), the first and last cut short by the range."""
    zone = ZoneInfo(timezone_name)
    day = datetime.fromtimestamp(start, zone).date()
    cuts = [start]
    while True:
        day += timedelta(days=1)
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())
        if midnight >= end:
            return cuts
        cuts.append(midnight)


def cost_trend_cuts(at_epoch: int, days: Sequence[int] = TREND_DAYS) -> list[int]:
    """The cuts of :func:`cost_trends`' read: its lookback (on the hour) and where its periods
    and days begin (``trends.trend_day_cuts``)."""
    lookback = trend_lookback(at_epoch, days)
    return sorted({lookback - lookback % HOUR_S, *trend_day_cuts(at_epoch, days)})


def cost_trends(store, at_epoch: int, scope: str, team_of: dict[str, str], *,
                days: Sequence[int] = TREND_DAYS) -> dict[int, Trend]:
    """Spend of ``scope`` per period in ``days``, each value ``engine.cost.cost_in_window``
    over the series the status report adds into the scope (:func:`series_of_scope`).

    One read serves every span: the database sums each piece between the cuts of
    :func:`cost_trend_cuts` over all the scope's series together
    (``plan.read_series_sums_across``; the days are UTC days, ``trend``'s ``align_s``), so
    the scope comes back as about 70 rows for 61 days, most of them its daily rollup rows
    (only the few days a period starts inside are read as hours), however many series it
    has. ``since`` is the oldest step time read.
    """
    keys = series_of_scope(store.series_keys("cost"), scope, team_of)
    first, ts, usd, _steps = read_series_sums_across(store, "cost", keys, cost_trend_cuts(at_epoch, days), at_epoch)
    since = int(first.min()) if first.size else None
    return {d: trend(lambda s, e: cost_in_window(ts, usd, s, e), at_epoch, d, since, DAY_S) for d in days}
