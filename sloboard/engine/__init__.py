"""The SLO engine: pure functions over per-step good/total arrays.

No I/O, no clock, no globals: every function takes arrays and instants and
returns numbers, arrays or frozen dataclasses. The entry point is
:func:`evaluate`; the rest is exported for charts, reports and rule generation.
"""

from .alerts import AlertState
from .budget import (
    budget_consumed,
    budget_minutes,
    budget_spent_at_rate,
    burn_rate,
    burn_rate_threshold,
    exhaustion_epoch,
    ratio,
)
from .evaluate import SLOStatus, burn_windows, evaluate, forecast_window
from .series import budget_burndown, burn_rate_series
from .windows import period_bounds, period_length_s, window_bounds

__all__ = [
    "AlertState",
    "SLOStatus",
    "budget_burndown",
    "budget_consumed",
    "budget_minutes",
    "budget_spent_at_rate",
    "burn_rate",
    "burn_rate_series",
    "burn_rate_threshold",
    "burn_windows",
    "evaluate",
    "exhaustion_epoch",
    "forecast_window",
    "period_bounds",
    "period_length_s",
    "ratio",
    "window_bounds",
]
