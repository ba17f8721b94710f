"""The status of one SLO at one instant: the single entry point for ``sloboard status``,
the dashboard, the reports and the HTTP API.

No-data convention: every value that needs data is None when the window holds
none (no steps, or no events), never 0 and never 100 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from ..domain import SLO, BudgetingMethod, format_duration
from .alerts import AlertState, alert_state, trailing_burn_rates
from .budget import budget_consumed, budget_minutes, exhaustion_epoch
from .methods import budget_totals
from .steps import Steps, completeness
from .windows import period_bounds

DEFAULT_FORECAST_WINDOW = timedelta(hours=1)
# Labels of the few distinct windows a fleet uses, formatted once: per status they
# would cost as much as the window sums over hourly rows.
_label = lru_cache(maxsize=256)(format_duration)


@dataclass(frozen=True)
class SLOStatus:
    """Everything known about one SLO at ``at``; None means "no data".

    Budget fractions: ``budget_consumed = (1 - sli) / (1 - objective)`` and
    ``budget_remaining = 1 - budget_consumed`` (negative when overspent).
    Budget "events" are counted in the budgeting method's units: requests for
    Occurrences, time slices for Timeslices and RatioTimeslices.
    Budget minutes are the fractions times ``(1 - objective) × period length``
    (see ``budget.budget_minutes``); ``budget_minutes_total`` needs no data.
    """

    slo_id: str
    at: int
    budgeting: BudgetingMethod
    window_start: int
    window_end: int  # == at
    period_end: int  # end of the calendar period; == at for rolling windows
    sli: float | None
    good: float | None  # events in the window
    total: float | None
    attainment: bool | None  # sli >= objective
    budget_consumed: float | None
    budget_remaining: float | None
    budget_exhausted: bool | None  # budget_remaining <= 0
    budget_events_total: float | None
    budget_events_consumed: float | None
    budget_events_remaining: float | None
    budget_minutes_total: float
    budget_minutes_consumed: float | None
    budget_minutes_remaining: float | None
    burn_rates: dict[str, float | None]  # "5m", "1h", ... shortest first
    alerts: tuple[AlertState, ...]
    forecast_window: str  # the burn-rate window the forecast uses
    exhaustion_at: int | None  # at_epoch itself when already exhausted
    data_completeness: float | None


def forecast_window(slo: SLO) -> timedelta:
    """The shortest long alert window (1h with the workbook table); 1h when the SLO has no alerts."""
    return min((a.long for a in slo.alert_windows), default=DEFAULT_FORECAST_WINDOW)


def burn_windows(slo: SLO) -> list[timedelta]:
    """Every distinct alert window, long and short, plus the forecast window; shortest first."""
    windows = {w for a in slo.alert_windows for w in (a.long, a.short)}
    windows.add(forecast_window(slo))
    return sorted(windows)


def window_starts(slo: SLO, at_epoch: int) -> list[int]:
    """The start of every window :func:`evaluate` sums over at ``at_epoch``: the SLO
    window's, then each burn-rate window's (``at - w``), shortest first. Every window
    ends at ``at_epoch``; the earliest start is as far back as evaluation reads."""
    start, _ = period_bounds(slo.window, int(at_epoch))
    return _starts(start, int(at_epoch), burn_windows(slo))


def _starts(window_start: int, at_epoch: int, windows: list[timedelta]) -> list[int]:
    return [window_start] + [at_epoch - int(w.total_seconds()) for w in windows]


def evaluate(slo: SLO, ts, good, total, at_epoch: int, step_s: int = 60, *, step_counts=None) -> SLOStatus:
    """Evaluate ``slo`` over per-step counts with every window ending at ``at_epoch``.

    ``ts``/``good``/``total`` follow the data convention of ``engine.steps``; they
    may reach beyond the windows. ``step_counts`` (optional) says how many steps each
    row stands for, when some rows are hourly rollups (``sloboard.window_reads``);
    it only matters to data completeness. Formulas: ``engine.budget`` (fractions,
    minutes, forecast), ``engine.methods`` (budgeting methods), ``engine.alerts``
    (burn rates).
    """
    at_epoch = int(at_epoch)
    start, period_end = period_bounds(slo.window, at_epoch)
    period_s = period_end - start
    windows = burn_windows(slo)
    forecast = forecast_window(slo)
    steps = Steps.between(ts, good, total, min(_starts(start, at_epoch, windows)), at_epoch, step_counts)
    in_window = steps.within(start, at_epoch)

    counts = in_window.counts()
    size, bad = budget_totals(slo, in_window, counts, step_s)
    sli = 1.0 - bad / size if size > 0 else math.nan
    consumed = budget_consumed(sli, slo.objective)
    remaining = 1.0 - consumed
    allowed = (1.0 - slo.objective) * size if size > 0 else math.nan
    minutes_total = budget_minutes(slo.objective, period_s)

    rates = trailing_burn_rates(steps, slo.objective, at_epoch, windows)
    forecast_rate = rates[forecast]
    return SLOStatus(
        slo_id=slo.id,
        at=at_epoch,
        budgeting=slo.budgeting,
        window_start=start,
        window_end=at_epoch,
        period_end=at_epoch if slo.window.is_rolling else period_end,
        sli=_known(sli),
        good=counts.good if counts.steps else None,
        total=counts.total if counts.steps else None,
        attainment=None if math.isnan(sli) else bool(sli >= slo.objective),
        budget_consumed=_known(consumed),
        budget_remaining=_known(remaining),
        budget_exhausted=None if math.isnan(remaining) else bool(remaining <= 0),
        budget_events_total=_known(allowed),
        budget_events_consumed=_known(bad if size > 0 else math.nan),
        budget_events_remaining=_known(allowed - bad),
        budget_minutes_total=minutes_total,
        budget_minutes_consumed=_known(consumed * minutes_total),
        budget_minutes_remaining=_known(remaining * minutes_total),
        burn_rates={_label(w): rates[w] for w in windows},
        alerts=tuple(alert_state(a, rates) for a in slo.alert_windows),
        forecast_window=_label(forecast),
        exhaustion_at=exhaustion_epoch(remaining, math.nan if forecast_rate is None else forecast_rate, at_epoch, period_s),
        data_completeness=_known(completeness(counts.steps, start, at_epoch, step_s)),
    )


def _known(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
