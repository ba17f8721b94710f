"""Error-budget arithmetic on plain numbers.

Sources: Google SRE workbook, chapter 5 "Alerting on SLOs" (burn rate, the
multiwindow multi-burn-rate table); OpenSLO v1 (``budgetingMethod``).

Notation: ``objective`` is the target ratio (0.999), ``1 - objective`` the
allowed bad fraction. Every function returns NaN rather than 0 when the input
holds no events, so "no data" can never pass for "perfect" or "all bad".
"""

from __future__ import annotations

import math
from datetime import timedelta


def ratio(good: float, total: float) -> float:
    """SLI = good / total; NaN when ``total`` is 0 or NaN (no events means no data)."""
    if not total > 0:  # also catches NaN
        return math.nan
    return good / total


def burn_rate(bad_fraction: float, objective: float) -> float:
    """Burn rate = bad fraction / (1 - objective) (SRE workbook, ch. 5).

    A burn rate of 1 spends exactly the whole budget over the SLO window;
    14.4 spends a 30-day budget in 50 hours. NaN in, NaN out.
    """
    return bad_fraction / (1.0 - objective)


def budget_consumed(sli: float, objective: float) -> float:
    """Fraction of the error budget spent: (1 - SLI) / (1 - objective).

    Above 1 means overspent. With the Occurrences method this is bad events
    over allowed bad events; with Timeslices, bad slices over allowed bad slices;
    with RatioTimeslices, the summed shortfall of the slice ratios over the
    allowed shortfall. The remaining budget is ``1 - budget_consumed``.
    """
    return burn_rate(1.0 - sli, objective)


def burn_rate_threshold(budget_fraction: float, slo_window: timedelta, alert_window: timedelta) -> float:
    """The burn rate that spends ``budget_fraction`` of the budget within ``alert_window``.

    threshold = budget_fraction × slo_window / alert_window (SRE workbook, ch. 5,
    table 5-8): 2 % of a 30-day budget in 1 h -> 14.4; 5 % in 6 h -> 6; 10 % in 3 d -> 1.
    """
    return budget_fraction * (slo_window / alert_window)


def budget_spent_at_rate(rate: float, duration: timedelta, slo_window: timedelta) -> float:
    """Fraction of the budget a constant burn ``rate`` spends in ``duration``: rate × duration / slo_window.

    The inverse of :func:`burn_rate_threshold`; rate 1 over the whole window spends exactly 1.
    """
    return rate * (duration / slo_window)


def budget_minutes(objective: float, period_s: float) -> float:
    """The budget as time: (1 - objective) × period length, in minutes.

    This is how long the service could be completely down, at even traffic, over
    the whole period: 99.9 % over 30 days is 43.2 minutes. Consumed and remaining
    minutes are the consumed and remaining fractions times this number, so the
    minutes on screen always agree with the fractions. For a calendar window in
    progress the fraction comes from the elapsed part and the minutes from the
    full period: they project the elapsed part's bad ratio onto the whole period.
    """
    return (1.0 - objective) * period_s / 60.0


def exhaustion_epoch(remaining: float, rate: float, at_epoch: int, period_s: float) -> int | None:
    """When the remaining budget reaches 0 if the current burn ``rate`` continues.

    A burn rate ``r`` spends ``r / period_s`` of the budget per second, so the
    remaining fraction lasts ``remaining × period_s / r`` seconds from ``at_epoch``.

    - Already exhausted (``remaining <= 0``): returns ``at_epoch``; the budget is
      gone as of now, and callers show "exhausted" (``SLOStatus.budget_exhausted``).
    - Not burning (``rate <= 0``) or no data (NaN in either input): None.
    """
    if math.isnan(remaining):
        return None
    if remaining <= 0:
        return int(at_epoch)
    if math.isnan(rate) or rate <= 0:
        return None
    return int(at_epoch) + math.ceil(remaining * period_s / rate)
