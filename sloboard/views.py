"""Read-side views over the store: the time series that the dashboard draws and the
reports print, so a chart and a PDF built from one store can never disagree.

Each function reads the store once and shapes arrays with the engine; it never
reads the clock (``at_epoch`` is passed in) and never formats for a screen.

Buckets: charts over long ranges show one point per bucket. A bucket ending at
``e`` covers ``(e - bucket_s, e]``; bucket ends are multiples of ``bucket_s`` in
epoch time (so daily buckets are UTC days), matching the step convention of the
store. Each function states how it folds the steps of a bucket into one value.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Collection, Sequence

import numpy as np

from .domain import SLO, Deployment, DeployStatus, format_duration
from .engine import budget_burndown, burn_rate, burn_rate_series, evaluate, ratio, window_bounds
from .engine.evaluate import window_starts
from .engine.cost import cost_in_window
from .engine.dora import DoraMetrics, dora_metrics
from .status import TREND_DAYS, cost_by_scope, cost_cuts, lookback_start, merge_cost_scopes, trend_day_cuts
from .window_reads import (PieceRows, Rows, hourly_rows_suffice, plan_recent_raw, read_series_sums,
                           read_sli_planned, read_sli_rows)

# Bucket lengths a chart may use, shortest first: each divides the next day boundary.
DAY_S = 86_400
HOUR_S = 3600
NICE_BUCKETS_S = (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
DEPLOY_IMPACT_S = 3600  # "the hour after a deploy"


@dataclass(frozen=True)
class Series:
    """Values at times: ``ts`` (int64 epoch seconds, bucket or sample ends) and ``values``
    (float64, NaN where there is no data)."""

    ts: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> "Series":
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))

    @property
    def has_data(self) -> bool:
        return bool(np.any(~np.isnan(self.values)))


def bucket_seconds(span_s: int, step_s: int, max_points: int = 400) -> int:
    """The shortest nice bucket (a multiple of ``step_s``) giving at most ``max_points`` buckets."""
    for bucket in NICE_BUCKETS_S:
        if bucket >= step_s and bucket % step_s == 0 and span_s / bucket <= max_points:
            return bucket
    days = -(-span_s // (max_points * 86400))
    return days * 86400


def bucket_ends(start: int, end: int, bucket_s: int) -> np.ndarray:
    """The ends of the buckets that cover ``(start, end]``: multiples of ``bucket_s``."""
    first = (start // bucket_s + 1) * bucket_s
    last = -(-end // bucket_s) * bucket_s
    return np.arange(first, last + 1, bucket_s, dtype=np.int64)


def _bucket_of(ts: np.ndarray, ends: np.ndarray, bucket_s: int) -> np.ndarray:
    """Index into ``ends`` of the bucket that holds each time."""
    return ((-(-ts // bucket_s) * bucket_s) - ends[0]) // bucket_s if ends.size else np.empty(0, np.int64)


def bucket_sum(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Sum of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    sums = np.zeros(ends.size)
    seen = np.zeros(ends.size, bool)
    idx = _bucket_of(ts, ends, bucket_s)
    np.add.at(sums, idx, values)
    seen[idx] = True
    return Series(_shown(ends, end), np.where(seen, sums, np.nan))


def bucket_mean(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Mean of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ts, values = _within(ts, values, start, end)
    return _bucket_ratio(ts, values, np.ones(ts.size), start, end, bucket_s)


def _bucket_ratio(ts: np.ndarray, sums: np.ndarray, counts: np.ndarray, start: int, end: int, bucket_s: int) -> Series:
    """Σ sums / Σ counts of the rows in each bucket over ``(start, end]`` (rows within it); NaN where Σ counts is 0."""
    ends = bucket_ends(start, end, bucket_s)
    idx = _bucket_of(ts, ends, bucket_s)
    totals = np.bincount(idx, weights=sums, minlength=ends.size)
    steps = np.bincount(idx, weights=counts, minlength=ends.size)
    means = np.full(ends.size, np.nan)
    np.divide(totals, steps, out=means, where=steps > 0)
    return Series(_shown(ends, end), means)


def bucket_max(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Largest of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    out = np.full(ends.size, -np.inf)
    np.maximum.at(out, _bucket_of(ts, ends, bucket_s), values)
    return Series(_shown(ends, end), np.where(np.isneginf(out), np.nan, out))


def bucket_last(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """The last value in each bucket over ``(start, end]``: exact samples of a cumulative curve."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    out = np.full(ends.size, np.nan)
    out[_bucket_of(ts, ends, bucket_s)] = values  # later samples overwrite earlier ones
    return Series(_shown(ends, end), out)


def _shown(ends: np.ndarray, end: int) -> np.ndarray:
    """Bucket ends as plotted: the last, unfinished bucket is drawn at ``end``, not in the future."""
    return np.minimum(ends, end)


def _within(ts, values, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    ts = np.asarray(ts, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    lo, hi = np.searchsorted(ts, [start, end], side="right")
    ts, values = ts[lo:hi], values[lo:hi]
    keep = ~np.isnan(values)
    return ts[keep], values[keep]


# --- one SLO ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployImpact:
    """What the SLO went through in the hour after one deployment of its service.

    ``budget_consumed``: the drop of the burn-down curve over ``(started, started + 1h]``,
    as a fraction of the whole budget (None when the deploy lies outside the SLO
    window, or the window has no data). ``burn_rate``: (bad / total over that hour) /
    (1 - objective), None without events.
    """

    deployment: Deployment
    budget_consumed: float | None
    burn_rate: float | None


@dataclass(frozen=True)
class SLOHistory:
    """The series of the SLO detail page, all ending at ``at``.

    - ``good_ratio``: good / total events per bucket over the range.
    - ``burndown``: budget remaining over the SLO window (``engine.budget_burndown``),
      its last value in each bucket; its final value equals the status's budget remaining.
    - ``burn_rates``: per alert window label, the highest trailing burn rate within
      each bucket (so a short spike that would fire an alert stays visible).
    - ``impacts``: every deployment of the service in the range, oldest first.
    """

    slo_id: str
    at: int
    start: int
    bucket_s: int
    window_start: int
    good_ratio: Series
    burndown: Series
    burn_rates: dict[str, Series]
    impacts: list[DeployImpact]


def slo_history(store, slo: SLO, at_epoch: int, range_s: int, *, step_s: int = 60, max_points: int = 400) -> SLOHistory:
    """Read the SLO's samples once, covering the range, its window and its alert windows.

    The range and the alert windows before it come as steps; the rest of the SLO window
    as hourly rollups with its start hour in steps (``window_reads.plan_recent_raw``),
    which the burn-down's sums over ``(window start, t]`` need no finer, where the SLO's
    budgeting method allows (``window_reads.hourly_rows_suffice``).
    """
    start = at_epoch - range_s
    window_start, _ = window_bounds(slo.window, at_epoch)
    longest = max((a.long for a in slo.alert_windows), default=timedelta(0))
    read_from = min(start - int(longest.total_seconds()), lookback_start(slo, at_epoch))
    if hourly_rows_suffice(slo, step_s):
        raw_from = start - int(longest.total_seconds())
        if window_start > read_from:  # the burn-down sums from inside the read: its hour in steps
            raw_from = min(raw_from, window_start)
        plan = plan_recent_raw(read_from, raw_from, at_epoch)
        ts, good, total, _counts = read_sli_planned(store, [slo.id], plan)[slo.id]
    else:
        ts, good, total = store.read_sli_samples(slo.id, read_from, at_epoch)
    bucket = bucket_seconds(range_s, step_s, max_points)

    good_sum = bucket_sum(ts, good, start, at_epoch, bucket)
    total_sum = bucket_sum(ts, total, start, at_epoch, bucket)
    good_ratio = np.full(total_sum.values.shape, np.nan)
    np.divide(good_sum.values, total_sum.values, out=good_ratio, where=total_sum.values > 0)

    bd_ts, bd_remaining = budget_burndown(slo, ts, good, total, at_epoch, step_s)
    window_bucket = bucket_seconds(at_epoch - window_start, step_s, max_points)
    burndown = bucket_last(bd_ts, bd_remaining, window_start, at_epoch, window_bucket)

    rates = {}
    for window in sorted({w for a in slo.alert_windows for w in (a.long, a.short)}):
        r_ts, r_values = burn_rate_series(ts, good, total, slo.objective, window, start, at_epoch)
        rates[format_duration(window)] = bucket_max(r_ts, r_values, start, at_epoch, bucket)

    deploys = store.deployments(service=slo.service, start=start, end=at_epoch)
    impacts = deploy_impacts(slo, (ts, good, total), (bd_ts, bd_remaining), deploys, window_start, at_epoch)
    return SLOHistory(
        slo_id=slo.id,
        at=at_epoch,
        start=start,
        bucket_s=bucket,
        window_start=window_start,
        good_ratio=Series(good_sum.ts, good_ratio),
        burndown=burndown,
        burn_rates=rates,
        impacts=impacts,
    )


def deploy_impacts(
    slo: SLO,
    samples: tuple[np.ndarray, np.ndarray, np.ndarray],
    burndown: tuple[np.ndarray, np.ndarray],
    deployments: Sequence[Deployment],
    window_start: int,
    at_epoch: int,
    after_s: int = DEPLOY_IMPACT_S,
) -> list[DeployImpact]:
    """Budget consumed and burn rate in the ``after_s`` seconds after each deployment.

    Budget consumed is ``remaining(t0) - remaining(min(t0 + after_s, at))`` on the
    burn-down curve, where ``remaining(t)`` is the curve's last value at or before
    ``t`` (1 before its first point), so the numbers add up with the chart.
    """
    ts, good, total = (np.asarray(a) for a in samples)
    bd_ts, bd_remaining = burndown
    has_budget = bd_ts.size > 0 and not np.isnan(bd_remaining).all()
    out = []
    for d in deployments:
        t0 = int(d.started_at.timestamp())
        t1 = min(t0 + after_s, at_epoch)
        consumed = None
        if has_budget and window_start <= t0 < at_epoch:
            consumed = _remaining_at(bd_ts, bd_remaining, t0) - _remaining_at(bd_ts, bd_remaining, t1)
        lo, hi = np.searchsorted(ts, [t0, t1], side="right")
        window_good, window_total = np.nansum(good[lo:hi]), np.nansum(total[lo:hi])
        sli = ratio(float(window_good), float(window_total))
        rate = None if sli != sli else burn_rate(1.0 - sli, slo.objective)  # sli != sli: NaN, no events
        out.append(DeployImpact(d, None if consumed is None else float(consumed), rate))
    return out


def _remaining_at(ts: np.ndarray, remaining: np.ndarray, t: int) -> float:
    i = int(np.searchsorted(ts, t, side="right"))
    return 1.0 if i == 0 else float(remaining[i - 1])


def top_burners(impacts: Sequence[DeployImpact], limit: int = 5) -> list[DeployImpact]:
    """The deployments after which the most budget was consumed, most first (ties: newest first)."""
    known = [i for i in impacts if i.budget_consumed is not None and i.budget_consumed > 0]
    known.sort(key=lambda i: (-i.budget_consumed, -i.deployment.started_at.timestamp()))
    return known[:limit]


def budget_history(store, slos: Sequence[SLO], at_epoch: int, range_s: int, *, step_s: int = 60,
                   max_points: int = 120) -> dict[str, Series]:
    """Budget remaining of each SLO as it stood at each bucket end of the range.

    Each point is ``engine.evaluate`` at that instant, so the last point equals the
    status at ``at_epoch`` for every window kind and budgeting method. The rows come
    from one read for all SLOs (:func:`rows_at_instants`): hourly rollups but where an
    instant or a window start cuts an hour.
    """
    start = at_epoch - range_s
    bucket = bucket_seconds(range_s, step_s, max_points)
    times = bucket_ends(start, at_epoch, bucket)
    times = times[times <= at_epoch]
    if times.size == 0 or times[-1] != at_epoch:
        times = np.append(times, at_epoch)
    rows = rows_at_instants(store, slos, [int(t) for t in times], step_s)
    out = {}
    for slo in slos:
        ts, good, total, counts = rows[slo.id]
        # The budget does not depend on the alert windows; without them evaluate sums one
        # burn-rate window (the forecast's) per point instead of every alert's two.
        budget_only = replace(slo, alert_windows=())
        values = [evaluate(budget_only, ts, good, total, int(t), step_s, step_counts=counts).budget_remaining
                  for t in times]
        out[slo.id] = Series(times, np.array([np.nan if v is None else v for v in values], dtype=np.float64))
    return out


def rows_at_instants(store, slos: Sequence[SLO], instants: Sequence[int], step_s: int) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` from which ``engine.evaluate`` gives each SLO's
    budget at every one of ``instants`` (ascending; the last is the newest) exactly.

    A budget at ``t`` sums the window ``(s, t]``, ``s`` its start at ``t``. With every
    instant and every window start among the cuts of ``window_reads.plan_reads``, the
    rows in ``(s, t]`` are those in ``(s, end]`` less those in ``(t, end]``, both exact
    sets, so each window holds exactly its steps. The read reaches back to the first
    instant's lookback (``status.lookback_start``), so its burn rates are exact too;
    the later instants' short burn-rate windows are not cuts, their rates are not for use.
    SLOs whose time slices are not whole hours read raw steps (``step_counts`` None).
    """
    hybrid = [s for s in slos if hourly_rows_suffice(s, step_s)]
    raw_only = [s for s in slos if not hourly_rows_suffice(s, step_s)]
    end = instants[-1]
    rows: dict[str, Rows] = {}
    if hybrid:
        cuts = set(instants)
        cuts.update(c for s in hybrid for c in window_starts(s, instants[0]))
        cuts.update(window_bounds(s.window, t)[0] for s in hybrid for t in instants)
        rows.update(read_sli_rows(store, [s.id for s in hybrid], cuts, end))
    if raw_only:
        read_from = min(lookback_start(s, instants[0]) for s in raw_only)
        samples = store.read_sli_samples_many([s.id for s in raw_only], read_from, end)
        rows.update({slo_id: (*arrays, None) for slo_id, arrays in samples.items()})
    return rows


# --- services, deployments, cost ----------------------------------------------------------

GOLDEN_SIGNALS = ("latency_p50", "latency_p95", "latency_p99", "traffic", "error_ratio", "saturation")


def golden_signals(store, service: str, start: int, end: int, bucket_s: int, *,
                   raw_retention_s: int | None = None) -> dict[str, Series]:
    """The mean of each golden signal's per-step values in each bucket (no data: NaN).

    Steps are kept for ``raw_retention_s`` (``collect.golden_raw_retention``; None: all
    of them), older hours as hourly rollups only. A range starting before
    ``end - raw_retention_s`` is therefore drawn in buckets of whole hours (``bucket_s``
    rounded up to a multiple of an hour): each bucket's mean is the sum of its steps over
    their count, from the rollup rows of its whole hours and the raw steps of the
    partial last hour ``(floor_hour(end), end]``. The hour holding ``start`` then counts
    whole. Shorter ranges are means of the raw steps in the buckets asked.
    """
    keys = [(service, name) for name in GOLDEN_SIGNALS]
    if raw_retention_s is None or start >= end - raw_retention_s:
        raw = store.read_series_many("golden", keys, start, end)
        return {name: bucket_mean(*raw[(service, name)], start, end, bucket_s) for name in GOLDEN_SIGNALS}
    bucket_s = -(-bucket_s // HOUR_S) * HOUR_S
    last_hour = end - end % HOUR_S
    steps, hourly = store.read_series_spans_many("golden", keys, [(last_hour, end)] if last_hour < end else [],
                                                 (start, last_hour))
    out = {}
    for name in GOLDEN_SIGNALS:
        (h_ts, h_sums, h_steps), (r_ts, r_values) = hourly[(service, name)], steps[(service, name)]
        out[name] = _bucket_ratio(np.concatenate((h_ts, r_ts)), np.concatenate((h_sums, r_values)),
                                  np.concatenate((h_steps, np.ones(r_ts.size))), start, end, bucket_s)
    return out


def deployment_counts(deployments: Sequence[Deployment], start: int, end: int, bucket_s: int) -> dict[str, Series]:
    """Deployments started per bucket, by status (every status present, zeros included)."""
    ends = bucket_ends(start, end, bucket_s)
    out = {}
    for status in DeployStatus:
        started = np.array(
            [int(d.started_at.timestamp()) for d in deployments if d.status == status], dtype=np.int64
        )
        started = started[(started > start) & (started <= end)]
        counts = np.bincount(_bucket_of(started, ends, bucket_s), minlength=ends.size).astype(np.float64)
        out[status.value] = Series(_shown(ends, end), counts)
    return out


@dataclass(frozen=True)
class Rest:
    """The series left out of a chart's ``biggest``, summed per time: ``count`` of them."""

    count: int
    series: Series


def biggest_and_rest(by_name: dict[str, Series], keep: int) -> tuple[dict[str, Series], Rest | None]:
    """The ``keep`` series with the largest sums, largest first, and the others summed into
    one (None when there are no others). Series without data are left out; all series
    share their ``ts``. A time where none of the others has data stays NaN."""
    sums = {name: float(np.nansum(s.values)) for name, s in by_name.items() if s.has_data}
    ranked = sorted(sums, key=lambda name: (-sums[name], name))
    biggest = {name: by_name[name] for name in ranked[:keep]}
    others = ranked[keep:]
    if not others:
        return biggest, None
    values = np.array([by_name[name].values for name in others])
    summed = np.where(np.isnan(values).all(axis=0), np.nan, np.nansum(values, axis=0))
    return biggest, Rest(len(others), Series(by_name[others[0]].ts, summed))


def cost_history(store, at_epoch: int, range_s: int, bucket_s: int, team_of: dict[str, str]) -> dict[str, Series]:
    """USD spent per bucket per scope, with scopes merged exactly as the status report merges
    them (``status.cost_by_scope``: sources added, services rolled up into teams and total)."""
    start = at_epoch - range_s
    return {
        scope: bucket_sum(ts, usd, start, at_epoch, bucket_s)
        for scope, (ts, usd) in cost_by_scope(store, start, at_epoch, team_of).items()
    }


# --- KPI trends ---------------------------------------------------------------------------



@dataclass(frozen=True)
class Trend:
    """One KPI over the ``days`` ending at ``at``, the same number of days before, and each day.

    - ``value``: the KPI over ``[at - days, at)`` (DORA) or ``(at - days, at]`` (cost),
      the very window of the status report's ``7d``/``30d`` entries.
    - ``previous``: the KPI over the ``days`` before that; None when the store holds no
      data from that far back (a partly recorded period would fake a change).
    - ``daily``: the KPI per day of the period (bounds as for ``value``), oldest first,
      ``ts`` the day ends: ``at`` and the days before it, each ending at ``at - k d``
      floored to ``align_s`` (:func:`trend`); NaN where the KPI is undefined or nothing
      was recorded yet. The days tile the period exactly.
    """

    days: int
    value: float | None
    previous: float | None
    daily: Series

    @property
    def delta(self) -> float | None:
        """``value - previous``: the change against the period before."""
        return None if self.value is None or self.previous is None else self.value - self.previous


def trend(measure: Callable[[int, int], float | None], at_epoch: int, days: int, since: int | None,
          align_s: int = 1) -> Trend:
    """``measure(start, end)`` over the period, the period before it, and each of its days.

    ``since`` is the time of the oldest record the caller found, reading from at least
    one day before the previous period. A span counts as recorded when ``since`` lies
    in its first day or earlier. A previous period or a day recorded only in part gets
    None, not a value that compares a partial period with a whole one.

    The days end at ``at`` and at ``at - k d`` floored to a multiple of ``align_s``
    (k = 1 .. days - 1), and the first starts at ``at - days d``: with ``align_s`` one
    hour, every boundary inside the period is an hour end, which hourly rollups serve
    whole (the first and last day are then up to ``align_s`` longer or shorter).
    """

    def measured(start: int, end: int) -> float | None:
        return measure(start, end) if since is not None and since <= start + DAY_S else None

    period = days * DAY_S
    ends = np.arange(at_epoch - period + DAY_S, at_epoch + 1, DAY_S, dtype=np.int64)
    ends[:-1] -= ends[:-1] % align_s
    starts = np.concatenate(([at_epoch - period], ends[:-1]))
    daily = [measured(int(start), int(end)) for start, end in zip(starts, ends)]
    return Trend(
        days=days,
        # As the status report has it: whatever part is recorded, and no data when nothing is.
        value=None if since is None else measure(at_epoch - period, at_epoch),
        previous=measured(at_epoch - 2 * period, at_epoch - period),
        daily=Series(ends, np.array([np.nan if v is None else v for v in daily], dtype=np.float64)),
    )


def _lookback(at_epoch: int, days: Sequence[int]) -> int:
    """Where trend reads start: two of the longest periods, and one day more to find ``since``."""
    return at_epoch - 2 * max(days) * DAY_S - DAY_S


def deployment_success_rate(m: DoraMetrics) -> float | None:
    """succeeded / deployments: the complement of the change failure rate; None without deployments."""
    return m.succeeded / m.deployments if m.deployments else None


DORA_KPIS: dict[str, Callable[[DoraMetrics], float | None]] = {
    "success_rate": deployment_success_rate,
    "deployment_frequency": lambda m: m.deployment_frequency_per_day,
    "rollback_rate": lambda m: m.rollback_rate,
    "change_failure_rate": lambda m: m.change_failure_rate,
}


def trend_deployments(store, at_epoch: int, days: Sequence[int] = TREND_DAYS) -> list[Deployment]:
    """The deployments :func:`dora_trends` reads; they hold the span ``status.dora_entries`` reads."""
    return store.deployments(start=_lookback(at_epoch, days), end=at_epoch)


def dora_trends(store, at_epoch: int, *, services: Collection[str] | None = None,
                days: Sequence[int] = TREND_DAYS, deployments: Sequence[Deployment] | None = None,
                ) -> dict[str, dict[int, Trend]]:
    """Each KPI of ``DORA_KPIS`` as a :class:`Trend` per period in ``days``.

    Every number is ``engine.dora.dora_metrics`` over the deployments of ``services``
    (all services when None) started in the span, so the current 7- and 30-day values
    equal the status report's ``dora`` entries for ``"*"`` or for one service. A day's
    deployment frequency is that day's deployment count. ``deployments``:
    :func:`trend_deployments` when the caller has read them.
    """
    if deployments is None:
        deployments = trend_deployments(store, at_epoch, days)
    deploys = [d for d in deployments if services is None or d.service in services]
    starts = [d.started_at.timestamp() for d in deploys]  # the store returns them oldest first
    since = int(starts[0]) if starts else None
    metrics: dict[tuple[int, int], DoraMetrics] = {}

    def metrics_of(start: int, end: int) -> DoraMetrics:
        if (start, end) not in metrics:
            span = deploys[bisect_left(starts, start):bisect_left(starts, end)]  # started in [start, end)
            metrics[(start, end)] = dora_metrics(span, _utc(start), _utc(end))
        return metrics[(start, end)]

    return {
        name: {d: trend(lambda s, e, kpi=kpi: kpi(metrics_of(s, e)), at_epoch, d, since) for d in days}
        for name, kpi in DORA_KPIS.items()
    }


def cost_trend_cuts(at_epoch: int, timezone_name: str, days: Sequence[int] = TREND_DAYS) -> list[int]:
    """The cuts of :func:`cost_trends`' read: its lookback (on the hour), where its periods and
    days begin (``status.trend_day_cuts``), and the status report's cost cuts
    (``status.cost_cuts``), so that one read serves both (:func:`cost_reads`)."""
    lookback = _lookback(at_epoch, days)
    return sorted({lookback - lookback % HOUR_S, *trend_day_cuts(at_epoch, days), *cost_cuts(at_epoch, timezone_name)})


def cost_trends(store, at_epoch: int, scope: str, team_of: dict[str, str], *, timezone_name: str = "UTC",
                days: Sequence[int] = TREND_DAYS, rows: dict[tuple[str, str], PieceRows] | None = None,
                ) -> dict[int, Trend]:
    """Spend of ``scope`` per period in ``days``, each value ``engine.cost.cost_in_window``
    over the sources merged as the status report merges them (``status.merge_cost_scopes``).

    One read serves every span: the database sums each piece between the cuts of
    :func:`cost_trend_cuts` (``window_reads.read_series_sums``; the days inside a period
    end on hours, ``trend``'s ``align_s``), so a series comes back as about 70 rows
    for 61 days instead of 1,500 hourly rows or 88,000 steps. ``since`` is the oldest
    step time read. ``rows``: that read, when the caller has made it (:func:`cost_reads`).
    """
    if rows is None:
        rows = read_series_sums(store, "cost", store.series_keys("cost"),
                                cost_trend_cuts(at_epoch, timezone_name, days), at_epoch)
    merged = merge_cost_scopes({key: (ts, usd) for key, (_first, ts, usd, _steps) in rows.items()}, team_of)
    ts, usd = merged.get(scope, (np.empty(0, np.int64), np.empty(0)))
    firsts, _usd = merge_cost_scopes({key: (first, usd) for key, (first, _ts, usd, _steps) in rows.items()},
                                     team_of).get(scope, (np.empty(0, np.int64), None))
    since = int(firsts[0]) if firsts.size else None
    return {d: trend(lambda s, e: cost_in_window(ts, usd, s, e), at_epoch, d, since, HOUR_S) for d in days}


def cost_reads(store, at_epoch: int, timezone_name: str, days: Sequence[int] = TREND_DAYS,
               ) -> tuple[dict[tuple[str, str], PieceRows], dict[tuple[str, str], PieceRows]]:
    """The cost rows of ``status.cost_entries`` and of :func:`cost_trends` at ``at_epoch`` from
    one read of the store: the ``rows`` each reads for itself, in every bit.

    The trends' cuts hold the report's, and after the report's earliest cut they are
    the same (``status.cost_cuts``), so the report's pieces are the trends' pieces after
    that cut, summed alike; the newest row is at its newest step in both.
    """
    rows = read_series_sums(store, "cost", store.series_keys("cost"),
                            cost_trend_cuts(at_epoch, timezone_name, days), at_epoch, exact_newest=True)
    earliest = min(cost_cuts(at_epoch, timezone_name))
    report = {}
    for key, (first, ts, usd, steps) in rows.items():
        keep = ts > earliest
        report[key] = (first[keep], ts[keep], usd[keep], steps[keep])
    return report, rows


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


# --- collection health ----------------------------------------------------------------------


@dataclass(frozen=True)
class SampleGaps:
    """Steps missing from one SLO's window ``(window_start, due_until]``.

    ``due_until`` is the newest step end the collector should have written by ``at``
    (see :func:`sample_gaps`). ``expected`` = steps in that span; ``present`` = those
    with a sample; the longest gap is the longest run of consecutive missing steps, in
    seconds (including a gap at either end of the span). ``newest`` is the newest
    sample time, None if none.
    """

    slo_id: str
    window_start: int
    due_until: int
    expected: int
    present: int
    longest_gap_s: int
    newest: int | None

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.present)


def sample_gaps(store, slos: Sequence[SLO], at_epoch: int, step_s: int, *, not_due_s: int = 0) -> list[SampleGaps]:
    """Gaps per SLO over its own window, from one read of all SLOs.

    Steps ending within ``not_due_s`` of ``at`` are not due yet and count neither as
    missing nor as present: the collector stays ``collect.lag_s`` behind now and writes
    whole steps, so the dashboard passes ``lag_s + step_s``. Without it the newest
    steps would read as gaps right after every collection.
    """
    if not slos:
        return []
    due_until = (at_epoch - not_due_s) // step_s * step_s
    bounds = {s.id: window_bounds(s.window, at_epoch)[0] for s in slos}
    samples = store.read_sli_samples_many([s.id for s in slos], min(bounds.values()), at_epoch)
    out = []
    for slo in sorted(slos, key=lambda s: s.id):
        start = bounds[slo.id]
        in_window = samples[slo.id][0]
        in_window = in_window[in_window > start]
        ts = in_window[in_window <= due_until]
        # Virtual samples just outside the span: at its start, and one step after its last due step.
        edges = np.concatenate(([start], ts, [due_until + step_s]))
        longest = int(max(0, (np.diff(edges) - step_s).max()))
        out.append(
            SampleGaps(
                slo_id=slo.id,
                window_start=start,
                due_until=due_until,
                expected=max(0, (due_until - start) // step_s),
                present=int(ts.size),
                longest_gap_s=longest,
                newest=int(in_window[-1]) if in_window.size else None,
            )
        )
    return out


def last_runs(store, limit: int = 1000) -> list:
    """The newest collector run of each query (``CollectorRun``), sorted by query key."""
    latest = {}
    for run in store.runs(limit=limit):  # newest first
        latest.setdefault(run.query_key, run)
    return [latest[key] for key in sorted(latest)]


@dataclass(frozen=True)
class Freshness:
    """Whether the data behind the pages is current.

    Stale when the newest SLI sample is older than ``factor`` collection intervals,
    when there is no sample at all, or when the last run of any query failed.
    """

    newest: int | None
    age_s: int | None
    failed_runs: list
    stale: bool
    reasons: list[str]


STALE_INTERVALS = 3  # samples older than this many collection intervals are stale


def newest_sample(store, slo_ids: Sequence[str] | None, at_epoch: int, recent_s: int) -> int | None:
    """The newest SLI sample time at or before ``at`` of ``slo_ids`` (of any SLO when None).

    Fresh data answers from one read of every SLO's samples of the last ``recent_s``
    seconds (a few rows each); only when none is that recent is each SLO's newest
    sample looked up, one index probe per SLO.
    """
    if slo_ids is None:
        return store.latest_sample_ts()
    recent = store.read_sli_samples_many(slo_ids, at_epoch - recent_s, at_epoch)
    newest = [int(ts[-1]) for ts, _good, _total in recent.values() if ts.size]
    if not newest:
        newest = [t for t in (store.latest_sample_ts(slo_id) for slo_id in slo_ids) if t is not None]
    return max(newest, default=None)


def freshness(store, at_epoch: int, interval_s: int, factor: int = STALE_INTERVALS, *,
              slo_ids: Sequence[str] | None = None) -> Freshness:
    """The freshness of the samples of ``slo_ids`` (of every SLO in the store when None)
    and of the last collector runs at ``at``."""
    newest = newest_sample(store, slo_ids, at_epoch, factor * interval_s)
    failed = [r for r in last_runs(store) if r.status == "failed"]
    reasons = []
    age = None if newest is None else int(at_epoch - newest)
    if newest is None:
        reasons.append("no SLI samples stored yet")
    elif age > factor * interval_s:
        reasons.append(
            f"newest sample is {format_duration(timedelta(seconds=age))} old "
            f"(more than {factor} collection intervals of {interval_s}s)"
        )
    if failed:
        names = ", ".join(r.query_key for r in failed[:3]) + (" …" if len(failed) > 3 else "")
        reasons.append(f"last run failed for {len(failed)} quer{'y' if len(failed) == 1 else 'ies'}: {names}")
    return Freshness(newest, age, failed, bool(reasons), reasons)
