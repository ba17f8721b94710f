"""One SLO's history: the series of the SLO detail page, the impact of each deployment,
and every SLO's budget remaining over a range (the overview's chart), all ending at ``at``.

Each function reads the store once and shapes arrays with the engine
(``engine.buckets``); it never reads the clock and never formats for a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Sequence

import numpy as np

from ..domain import SLO, BudgetingMethod, Deployment, format_duration
from ..engine import budget_burndown, burn_rate, burn_rate_series, evaluate, ratio, window_bounds
from ..engine.buckets import Series, bucket_ends, bucket_last, bucket_max, bucket_seconds, bucket_sum
from ..engine.evaluate import window_starts
from .plan import Rows, hourly_rows_suffice, plan_recent_raw, read_sli_planned, read_sli_rows
from .status import lookback_start

DEPLOY_IMPACT_S = 3600  # "the hour after a deploy"


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
    as hourly rollups with its start hour in steps (``plan.plan_recent_raw``),
    which the burn-down's sums over ``(window start, t]`` need no finer, where the SLO's
    budgeting method allows (``plan.hourly_rows_suffice``).
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

    Each point is the budget ``engine.evaluate`` gives at that instant, so the last point
    equals the status at ``at_epoch`` for every window kind and budgeting method:
    Occurrences SLOs from one cumulative sum (:func:`occurrences_budget`, ulps apart), the
    time-slice methods from ``evaluate`` at each point. The rows come
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
    starts_of: dict = {}  # window -> its start at each instant; a fleet has few distinct windows
    out = {}
    for slo in slos:
        ts, good, total, counts = rows[slo.id]
        if slo.budgeting is BudgetingMethod.OCCURRENCES:
            if slo.window not in starts_of:
                starts_of[slo.window] = np.array([window_bounds(slo.window, int(t))[0] for t in times], np.int64)
            out[slo.id] = Series(times, occurrences_budget(slo.objective, ts, good, total, starts_of[slo.window], times))
            continue
        # Time slices are judged per slice, cut by each window's start: evaluate each point.
        # The budget does not depend on the alert windows; without them evaluate sums one
        # burn-rate window (the forecast's) per point instead of every alert's two.
        budget_only = replace(slo, alert_windows=())
        values = [evaluate(budget_only, ts, good, total, int(t), step_s, step_counts=counts).budget_remaining
                  for t in times]
        out[slo.id] = Series(times, np.array([np.nan if v is None else v for v in values], dtype=np.float64))
    return out


def occurrences_budget(objective: float, ts: np.ndarray, good: np.ndarray, total: np.ndarray,
                       starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Budget remaining of an Occurrences SLO over each window ``(starts[i], ends[i]]`` (NaN: no
    events), as ``engine.evaluate`` gives it, from one cumulative sum of the rows.

    A window's sums are differences of the cumulative sums at its edges, so every point
    costs two look-ups instead of a pass over its rows. The cumulative sums are kept in
    extended precision (``np.longdouble``, where the platform has it): a window's sums are
    then off by ulps of the running totals, not of their own (whole counts come out exact),
    far below 1e-12 of the budget while a window holds a fair share of the rows read, as
    an SLO window does of the range a chart reads. Rows without data add nothing.
    """
    has_data = ~(np.isnan(good) | np.isnan(total))
    good_sum = np.concatenate(([0.0], np.cumsum(np.where(has_data, good, 0.0), dtype=np.longdouble)))
    total_sum = np.concatenate(([0.0], np.cumsum(np.where(has_data, total, 0.0), dtype=np.longdouble)))
    lo, hi = ts.searchsorted(starts, side="right"), ts.searchsorted(ends, side="right")
    window_good = (good_sum[hi] - good_sum[lo]).astype(np.float64)
    window_total = (total_sum[hi] - total_sum[lo]).astype(np.float64)
    remaining = np.full(ends.shape, np.nan)
    events = window_total > 0
    # evaluate's formulas, in its order: sli = 1 - bad / size, consumed = (1 - sli) / (1 - objective).
    sli = 1.0 - (window_total[events] - window_good[events]) / window_total[events]
    remaining[events] = 1.0 - (1.0 - sli) / (1.0 - objective)
    return remaining


def rows_at_instants(store, slos: Sequence[SLO], instants: Sequence[int], step_s: int) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` from which ``engine.evaluate`` gives each SLO's
    budget at every one of ``instants`` (ascending; the last is the newest) exactly.

    A budget at ``t`` sums the window ``(s, t]``, ``s`` its start at ``t``. With every
    instant and every window start among the cuts of ``plan.plan_reads``, the
    rows in ``(s, t]`` are those in ``(s, end]`` less those in ``(t, end]``, both exact
    sets, so each window holds exactly its steps. The read reaches back to the first
    instant's lookback (``status.lookback_start``), so its burn rates are exact too;
    the later instants' short burn-rate windows are not cuts, their rates are not for use.
    Occurrences SLOs read whole days as day rows; time-slice SLOs at most hours, and those
    whose slices are not whole hours raw steps (``step_counts`` None).
    """
    hybrid = [s for s in slos if hourly_rows_suffice(s, step_s)]
    raw_only = [s for s in slos if not hourly_rows_suffice(s, step_s)]
    end = instants[-1]
    rows: dict[str, Rows] = {}
    if hybrid:
        cuts = set(instants)
        cuts.update(c for s in hybrid for c in window_starts(s, instants[0]))
        cuts.update(window_bounds(w, t)[0] for w in {s.window for s in hybrid} for t in instants)
        for days in (True, False):  # day rows only where window sums are all that counts
            ids = [s.id for s in hybrid if (s.budgeting is BudgetingMethod.OCCURRENCES) == days]
            if ids:
                rows.update(read_sli_rows(store, ids, cuts, end, days=days))
    if raw_only:
        read_from = min(lookback_start(s, instants[0]) for s in raw_only)
        samples = store.read_sli_samples_many([s.id for s in raw_only], read_from, end)
        rows.update({slo_id: (*arrays, None) for slo_id, arrays in samples.items()})
    return rows
