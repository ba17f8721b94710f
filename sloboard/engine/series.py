"""Time series for charts: budget burn-down over the SLO window, and burn rate over time.

Both are vectorised: one cumulative sum per quantity, and ``np.searchsorted`` to
find where each trailing window starts, so the cost is O(n log n) whatever the
window length, with no Python loop per step.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from ..domain import SLO
from .methods import slo_budget_units
from .steps import Steps
from .windows import window_bounds


def budget_burndown(slo: SLO, ts, good, total, at_epoch: int, step_s: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Budget remaining over the SLO window, as ``(times, remaining)``.

    remaining(t) = 1 - (bad units up to t) / ((1 - objective) × units in the whole
    window up to ``at_epoch``), with units as in ``engine.methods`` (events for
    Occurrences, slices otherwise). The last value equals
    ``evaluate(...).budget_remaining``. Times are step ends (Occurrences) or slice
    ends; steps without data add nothing, so the line stays flat across a gap.
    All NaN when the window holds no events.
    """
    start, end = window_bounds(slo.window, at_epoch)
    units = slo_budget_units(slo, Steps.between(ts, good, total, start, end), step_s)
    size, _ = units.totals()
    if size == 0:
        return units.ends, np.full(units.ends.shape, np.nan)
    return units.ends, 1.0 - np.cumsum(units.bad) / ((1.0 - slo.objective) * size)


def burn_rate_series(
    ts, good, total, objective: float, window: timedelta, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """Burn rate over the trailing ``window`` at every sample time in ``(start, end]``.

    rate(t) = (bad / total over (t - window, t]) / (1 - objective) (SRE workbook,
    ch. 5); NaN where that window holds no events. Returns ``(times, rates)``.
    """
    window_s = int(window.total_seconds())
    steps = Steps.between(ts, good, total, start - window_s, end)
    # Cumulating bad rather than good keeps small bad counts exact under subtraction.
    good, total = steps.zero_filled()
    cum_bad = np.concatenate(([0.0], np.cumsum(total - good)))
    cum_total = np.concatenate(([0.0], np.cumsum(total)))
    first = int(np.searchsorted(steps.ts, start, side="right"))
    times = steps.ts[first:]
    window_end = np.arange(first + 1, steps.ts.size + 1)
    window_start = np.searchsorted(steps.ts, times - window_s, side="right")
    bad = cum_bad[window_end] - cum_bad[window_start]
    events = cum_total[window_end] - cum_total[window_start]
    rates = np.full(times.shape, np.nan)
    np.divide(bad, events * (1.0 - objective), out=rates, where=events > 0)
    return times, rates
