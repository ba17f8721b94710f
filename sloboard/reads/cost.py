"""Cost over a window: spend per scope over 1, 7 and 30 days and month to date (the status
report's ``cost``), its spend per chart bucket, and its KPI trends, each scope the sum
of the same series (:func:`merge_cost_scopes`, :func:`series_of_scope`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ..engine.buckets import Series
from ..engine.cost import IDLE_LABEL, IDLE_SCOPE, CostBudgets, budget_state, cost_in_window, month_bounds, month_projection
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


def cost_scopes(keys: Sequence[tuple[str, str]], team_of: dict[str, str]) -> dict[str, list[int]]:
    """The scopes the series ``keys`` (``(scope, name)``) add into, each with its series as
    positions in ``keys``: a series' own scope and ``total`` (every series once), and for a
    service with a team (``team_of`` maps service -> team) also ``team:<team>``, on top of any
    cost billed to the team directly."""
    members: dict[str, list[int]] = {}
    for i, (scope, _name) in enumerate(keys):
        members.setdefault(scope, []).append(i)
        members.setdefault("total", []).append(i)
        kind, _, service = scope.partition(":")
        if kind == "service" and service in team_of:
            members.setdefault(f"team:{team_of[service]}", []).append(i)
    return members


def merge_cost_scopes(per_series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]],
                      team_of: dict[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``(ts, usd)`` per scope (:func:`cost_scopes`) from ``{(scope, name): (ts, usd)}``, sorted
    by ts, with the sources of a scope (OpenCost, bill) added together."""
    keys = sorted(per_series)
    merged = {}
    for scope, positions in cost_scopes(keys, team_of).items():
        ts = np.concatenate([per_series[keys[i]][0] for i in positions])
        usd = np.concatenate([per_series[keys[i]][1] for i in positions])
        order = np.argsort(ts, kind="stable")
        merged[scope] = (ts[order], usd[order])
    return merged


def series_of_scope(keys, scope: str, team_of: dict[str, str]) -> list[tuple[str, str]]:
    """The ``(scope, name)`` series that :func:`merge_cost_scopes` adds into ``scope``."""
    keys = list(keys)
    return [keys[i] for i in cost_scopes(keys, team_of).get(scope, [])]


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
    month_start, month_end = month_bounds(at_epoch, timezone_name)
    rows = read_series_sums(store, "cost", store.series_keys("cost"), cost_cuts(at_epoch, timezone_name),
                            at_epoch, exact_newest=True)
    keys = sorted(rows)
    if not keys:
        return []
    members = cost_scopes(keys, team_of)
    starts = {**{label: at_epoch - length for label, length in COST_WINDOWS.items()}, MONTH: month_start}
    spent, covered_until = _scope_window_sums([rows[key][1:3] for key in keys], list(members.values()),
                                              list(starts.values()), at_epoch, month_start)
    out = []
    for column, scope in sorted(enumerate(members), key=lambda pair: pair[1]):
        name = cost_scope_name(scope)
        usd = dict(zip(starts, (None if math.isnan(v) else float(v) for v in spent[:, column])))
        out += [CostEntry(scope, name, label, usd[label]) for label in COST_WINDOWS]
        mtd = usd[MONTH]
        forecast = None if mtd is None else month_projection(mtd, float(covered_until[column]), month_start, month_end)
        budget = budgets.budgets_usd.get(scope)
        warning = overrun = None
        if budget is not None:
            state = budget_state(mtd, forecast, budget, warn_at=budgets.warn_at, overrun_at=budgets.overrun_at)
            warning, overrun = state.warning, state.overrun
        out.append(CostEntry(scope, name, MONTH, mtd, budget, forecast, warning, overrun))
    return out


def _scope_window_sums(series: Sequence[tuple[np.ndarray, np.ndarray]], scopes: Sequence[Sequence[int]],
                       starts: Sequence[int], end: int, newest_after: int) -> tuple[np.ndarray, np.ndarray]:
    """``engine.cost.cost_in_window`` over ``(start, end]`` for each of ``starts`` and each scope,
    a scope the union of its ``series`` (``(ts, usd)``, by position): an array ``[start, scope]``
    (NaN: no sample with a cost); and per scope the newest sample time in ``(newest_after, end]``
    (``-inf``: none). In numpy over all series at once: a status has hundreds of scopes, and
    their windows one by one took longer than the read.
    """
    n = len(series)
    index = np.repeat(np.arange(n), [ts.size for ts, _ in series])
    ts = np.concatenate([ts for ts, _ in series])
    usd = np.concatenate([usd for _, usd in series]).astype(np.float64)
    known = ~np.isnan(usd)
    members = np.concatenate([np.asarray(m, np.int64) for m in scopes])
    first = np.cumsum([0, *(len(m) for m in scopes[:-1])])

    def per_scope(per_series: np.ndarray, reduce: np.ufunc = np.add) -> np.ndarray:
        return reduce.reduceat(per_series[members], first)

    sums = np.empty((len(starts), len(scopes)))
    for row, start in enumerate(starts):
        inside = known & (ts > start) & (ts <= end)
        spent = per_scope(np.bincount(index[inside], weights=usd[inside], minlength=n))
        sums[row] = np.where(per_scope(np.bincount(index[inside], minlength=n)) > 0, spent, np.nan)
    newest = np.full(n, -np.inf)
    inside = known & (ts > newest_after) & (ts <= end)
    np.maximum.at(newest, index[inside], ts[inside].astype(np.float64))
    return sums, per_scope(newest, np.maximum)


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
