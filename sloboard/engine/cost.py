"""Cost math: spend in a window, calendar months, a month-end forecast, budget state.

Cost samples are two parallel arrays: ``ts`` (epoch seconds, the END of each step)
and ``usd`` (the cost incurred during that step). A step ending at ``t`` covers
``(t - step, t]``, so the spend of the wall-clock window ``[start, end)`` is the sum of
the samples with ``start < ts <= end`` (exact when steps line up with the window
edges, as hourly steps do with months). A NaN cost marks a step without data and is
left out; a window without any sample has no data (None), which is not $0.

Pure: no clock (times are passed in), no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike

from ..domain import Window
from ..errors import InputError
from .windows import period_bounds

WARN_AT = 0.80  # warn once month-to-date spend reaches 80 % of the budget
OVERRUN_AT = 1.25  # flag an overrun once the forecast exceeds 125 % of the budget

# The part of the bill that no service was allocated (nodes' idle capacity), kept as a
# scope of its own so that the services' costs and it add up to the bill.
IDLE_SCOPE = "service:__idle__"
IDLE_LABEL = "Idle (unallocated)"


def cost_in_window(ts: ArrayLike, usd: ArrayLike, start: float, end: float) -> float | None:
    """Spend in ``[start, end)``: the sum of ``usd`` over samples with ``start < ts <= end``.

    None when no sample (with a cost) falls in the window.
    """
    _, costs = _window(ts, usd, start, end)
    return float(costs.sum()) if costs.size else None


def month_bounds(at_epoch: float, tz: str) -> tuple[int, int]:
    """Epoch seconds ``(start, end)`` of the calendar month in ``tz`` that holds ``at_epoch``.

    Both are local midnights on the 1st, so a month with a DST change is an hour (in
    some zones half an hour) shorter or longer, and a month in which the zone skipped
    a day is a day shorter. The convention is the samples' and the SLO calendar
    windows' ``(start, end]``: an instant exactly on a boundary belongs to the month
    that ends there, so at April 1st 00:00 the month is all of March.
    """
    return _month_bounds(int(at_epoch), tz)


@lru_cache(maxsize=64)  # a status asks it for the same instant once per cost scope (hundreds)
def _month_bounds(at_epoch: int, tz: str) -> tuple[int, int]:
    month = Window(duration=timedelta(days=30), calendar_unit="month", timezone=tz)
    try:
        return period_bounds(month, at_epoch)
    except ValueError as exc:  # with the unit fixed to "month", only the zone can be wrong
        raise InputError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or UTC") from exc


def forecast_month(ts: ArrayLike, usd: ArrayLike, at_epoch: float, tz: str) -> float | None:
    """Projected spend of the calendar month (in ``tz``) that holds ``at_epoch``.

    Linear projection at the month-to-date average rate::

        forecast = mtd * (month_end - month_start) / (covered_until - month_start)

    where ``mtd`` is the spend from the month's start to ``at_epoch`` and
    ``covered_until`` is the end of the newest sample in it. Elapsed time stops at
    the newest sample rather than at ``at_epoch`` because a step's cost is known
    only once the step ends; counting the unfinished step would bias the rate low.
    Steps without samples inside that span count as time that cost nothing, so gaps
    lower the forecast.
    None when the month has no sample yet (for instance right after it began).
    Exactly on a month boundary the month is the one that just ended, and its
    forecast is what it actually cost.
    """
    at_epoch = int(at_epoch)
    start, end = month_bounds(at_epoch, tz)
    times, costs = _window(ts, usd, start, at_epoch)
    if not costs.size:
        return None
    return month_projection(float(costs.sum()), float(times.max()), start, end)


def month_projection(mtd_usd: float, covered_until: float, month_start: int, month_end: int) -> float:
    """:func:`forecast_month` from its parts: the month-to-date spend and the end of the newest
    sample in it (after ``month_start``)."""
    return mtd_usd * (month_end - month_start) / (covered_until - month_start)


@dataclass(frozen=True)
class CostBudgets:
    """Monthly budget per scope (``total``, ``service:X``, ``team:X``) and the shares of it at
    which month-to-date spend warns and a forecast overruns (:func:`budget_state`)."""

    budgets_usd: Mapping[str, float] = field(default_factory=dict)
    warn_at: float = WARN_AT
    overrun_at: float = OVERRUN_AT


@dataclass(frozen=True)
class BudgetState:
    """Spend against a monthly budget. Fractions and flags are None without data."""

    budget_usd: float
    used_fraction: float | None  # month-to-date / budget
    forecast_fraction: float | None  # forecast / budget
    warning: bool | None  # month-to-date >= warn_at * budget
    overrun: bool | None  # forecast > overrun_at * budget


def budget_state(
    mtd_usd: float | None,
    forecast_usd: float | None,
    budget_usd: float,
    *,
    warn_at: float = WARN_AT,
    overrun_at: float = OVERRUN_AT,
) -> BudgetState:
    """Where spend stands against ``budget_usd``.

    ``warning`` is set once month-to-date spend reaches ``warn_at`` of the budget
    (exactly 80 % warns); ``overrun`` once the forecast exceeds ``overrun_at`` of it
    (exactly 125 % does not). The comparisons are made on the decimal values as
    written, not in binary floating point, where ``0.8 * 1070.7`` is
    856.5600000000001 (so $856.56, exactly 80 %, would not warn) and ``1.25 * 1234.56``
    is 1543.1999999999998 (so $1543.20, exactly 125 %, would overrun).
    """
    for name, value in (("budget", budget_usd), ("warn_at", warn_at), ("overrun_at", overrun_at)):
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"cost {name} must be a positive number, got {value!r}")
    mtd, forecast = _known(mtd_usd), _known(forecast_usd)
    budget = _decimal(budget_usd)
    return BudgetState(
        budget_usd=budget_usd,
        used_fraction=None if mtd is None else mtd / budget_usd,
        forecast_fraction=None if forecast is None else forecast / budget_usd,
        warning=None if mtd is None else _decimal(mtd) >= _decimal(warn_at) * budget,
        overrun=None if forecast is None else _decimal(forecast) > _decimal(overrun_at) * budget,
    )


def idle_remainder(total: ArrayLike, allocated: ArrayLike) -> np.ndarray:
    """The bill's unallocated remainder per step: ``total - sum(allocated)``.

    ``total`` is the whole bill per step (n,); ``allocated`` the scopes' shares of it
    (k, n), NaN where a scope has no sample. A step without a total has no remainder
    (NaN); a step with a total but no allocation is all remainder. The remainder is
    negative where allocations exceed the bill (OpenCost allocates max(request, usage),
    which can pass a node's capacity), so that the scopes still add up to the bill.
    """
    total = np.asarray(total, dtype=np.float64)
    shares = np.asarray(allocated, dtype=np.float64)
    if shares.size == 0:
        return total.copy()
    return total - np.nansum(shares.reshape(-1, total.size), axis=0)


def _window(ts: ArrayLike, usd: ArrayLike, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """The sample times and costs with ``start < ts <= end`` and a known cost."""
    times = np.asarray(ts)
    costs = np.asarray(usd, dtype=np.float64)
    if times.shape != costs.shape or times.ndim != 1:
        raise InputError(
            f"cost samples need two 1-D arrays of equal length, got shapes {times.shape} and {costs.shape}"
        )
    keep = (times > start) & (times <= end) & ~np.isnan(costs)
    return times[keep], costs[keep]


def _known(value: float | None) -> float | None:
    """None and NaN both mean no data."""
    if value is None or math.isnan(value):
        return None
    return float(value)


def _decimal(value: float) -> Fraction:
    """The exact value of the shortest decimal that prints as ``value`` (0.8 -> 4/5)."""
    return Fraction(repr(float(value)))
