"""KPI trends: a KPI over the last days, the days before, and each day (DORA here; the
cost trends read with the rest of the cost in ``reads.cost``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection, Sequence

import numpy as np

from ..engine.buckets import Series
from ..engine.dora import BandScales, DoraMetrics, dora_from_counts

DAY_S = 86_400
HOUR_S = 3600
TREND_DAYS = (7, 30)  # the periods of the dashboard's KPI trends: the last week and the last 30 days


def trend_day_cuts(at_epoch: int, days: Sequence[int] = TREND_DAYS) -> list[int]:
    """Where the cost trends' periods and days begin: ``at - d`` and ``at - 2 d`` for each
    period ``d`` of ``days``, and ``at - k d`` floored to the UTC day for each day the
    longest period holds (:func:`trend`, ``align_s`` one day): whole UTC days, which daily
    rollup rows serve."""
    starts = {at_epoch - k * d * DAY_S for d in days for k in (1, 2)}
    for k in range(max(days)):
        day = at_epoch - k * DAY_S
        starts.add(day - day % DAY_S)
    return sorted(starts)


@dataclass(frozen=True)
class Trend:
    """One KPI over the ``days`` ending at ``at``, the same number of days before, and each day.

    - ``value``: the KPI over ``[at - days, at)`` (DORA) or ``(at - days, at]`` (cost),
      the very window of the status report's ``7d``/``30d`` entries.
    - ``previous``: the KPI over the ``days`` before that; None when the store holds no
      data from that far back (a partly recorded period would fake a change).
    - ``daily``: the KPI per day of the period (bounds as for ``value``), oldest first,
      ``ts`` the day ends: ``at`` and the days before it, each ending at ``at - k d``
      floored to ``align_s`` (:func:`trend`; ``days`` of them, or one more when ``at`` is
      not on the ``align_s`` grid); NaN where the KPI is undefined or nothing was recorded
      yet. The days tile the period exactly.
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
    (k = 0 .. days - 1), and the first starts at ``at - days d``: with ``align_s`` one
    day, every boundary inside the period is a UTC midnight, so the days are the UTC days
    the period touches (the first and the last, today so far, in part), which daily
    rollups serve whole; with ``align_s`` 1, the ``days`` days end at ``at - k d``.
    """

    def measured(start: int, end: int) -> float | None:
        return measure(start, end) if since is not None and since <= start + DAY_S else None

    period = days * DAY_S
    ends = np.arange(at_epoch - period + DAY_S, at_epoch + 1, DAY_S, dtype=np.int64)
    ends = np.unique(np.append(ends - ends % align_s, at_epoch))  # ``at`` ends the last day
    starts = np.concatenate(([at_epoch - period], ends[:-1]))
    daily = [measured(int(start), int(end)) for start, end in zip(starts, ends)]
    return Trend(
        days=days,
        # As the status report has it: whatever part is recorded, and no data when nothing is.
        value=None if since is None else measure(at_epoch - period, at_epoch),
        previous=measured(at_epoch - 2 * period, at_epoch - period),
        daily=Series(ends, np.array([np.nan if v is None else v for v in daily], dtype=np.float64)),
    )


def trend_lookback(at_epoch: int, days: Sequence[int]) -> int:
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


_NO_TIMES = (np.empty(0, np.int64), np.empty(0))  # the KPIs are counts: no restore or lead times read


def dora_trends(store, at_epoch: int, *, services: Collection[str] | None = None,
                days: Sequence[int] = TREND_DAYS, bands: BandScales) -> dict[str, dict[int, Trend]]:
    """Each KPI of ``DORA_KPIS`` as a :class:`Trend` per period in ``days``.

    Every number is ``engine.dora.dora_from_counts`` over the deployments of ``services``
    (all services when None) counted per day and status by the database
    (``store.deployment_days``: the periods and days end at ``at - k d``, whole days back),
    so the current 7- and 30-day values equal the status report's ``dora`` entries for
    ``"*"`` or for one service. A day's deployment frequency is that day's deployment count.
    """
    counted = store.deployment_days(start=trend_lookback(at_epoch, days), end=at_epoch, services=services)
    # before[b]: the deployments of days back 1 .. b, so [at - m d, at - n d) is before[m] - before[n].
    before = np.concatenate((np.zeros((1, counted.counts.shape[1]), np.int64), np.cumsum(counted.counts[1:], axis=0)))
    since = counted.first_started_at
    metrics: dict[tuple[int, int], DoraMetrics] = {}

    def metrics_of(start: int, end: int) -> DoraMetrics:
        if (start, end) not in metrics:
            oldest, newest = divmod(at_epoch - start, DAY_S), divmod(at_epoch - end, DAY_S)
            if oldest[1] or newest[1]:
                raise ValueError(f"DORA trend span [{start}, {end}) does not end whole days before {at_epoch}")
            counts = before[oldest[0]] - before[newest[0]]
            metrics[(start, end)] = dora_from_counts(counts, end - start, _NO_TIMES, _NO_TIMES, bands)[0]
        return metrics[(start, end)]

    return {
        name: {d: trend(lambda s, e, kpi=kpi: kpi(metrics_of(s, e)), at_epoch, d, since) for d in days}
        for name, kpi in DORA_KPIS.items()
    }
