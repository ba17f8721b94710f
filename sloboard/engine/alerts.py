"""Multiwindow, multi-burn-rate alert state (SRE workbook, ch. 5, "Alerting on SLOs").

An alert fires when the burn rate over its long window AND over its short window
are both at or above its threshold: the long window proves the budget is really
being spent, the short one that it still is (so the alert resets soon after the
problem ends). Burn rates always count events (bad / total), as the workbook's
alerts and the generated Prometheus rules do, whatever the budgeting method.

A window without events has no burn rate (None), and an alert with a missing
burn rate does not fire: silence in the data is reported as "no data", not as
"healthy" and not as "burning".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from ..domain import AlertWindow, Severity
from .budget import burn_rate, ratio
from .steps import Counts


@dataclass(frozen=True)
class AlertState:
    severity: Severity
    long: timedelta
    short: timedelta
    threshold: float
    long_rate: float | None
    short_rate: float | None
    firing: bool


def trailing_burn_rates(
    window_counts: Mapping[timedelta, Counts], objective: float
) -> dict[timedelta, float | None]:
    """Burn rate over each window from its counts: (bad / total) / (1 - objective).

    None when the window holds no events. Steps missing inside a window are left
    out of both bad and total (``steps.trailing_counts``), so the rate is that of
    the steps that reported.
    """
    rates: dict[timedelta, float | None] = {}
    for window, counts in window_counts.items():
        sli = ratio(counts.good, counts.total)
        rates[window] = None if sli != sli else burn_rate(1.0 - sli, objective)  # sli != sli: NaN
    return rates


def alert_state(window: AlertWindow, rates: dict[timedelta, float | None]) -> AlertState:
    """The state of one alert, given burn rates that include its long and short windows."""
    long_rate, short_rate = rates[window.long], rates[window.short]
    firing = (
        long_rate is not None
        and short_rate is not None
        and long_rate >= window.burn_rate
        and short_rate >= window.burn_rate
    )
    return AlertState(window.severity, window.long, window.short, window.burn_rate, long_rate, short_rate, firing)
