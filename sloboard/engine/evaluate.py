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

from ..domain import SLO, AlertWindow, BudgetingMethod, format_duration
from .alerts import AlertState, alert_state, trailing_burn_rates
from .budget import budget_consumed, budget_minutes, exhaustion_epoch
from .methods import budget_totals
from .steps import Steps, completeness, trailing_counts
from .windows import period_bounds

DEFAULT_FORECAST_WINDOW = timedelta(hours=1)


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


@dataclass(frozen=True)
class BurnWindows:
    """The burn-rate windows of one alert table, with what a status needs of them.

    They depend on the SLO's alert windows alone, never on the instant, so
    :func:`burn_windows_of` builds them once per table: sorting and formatting them
    for every status cost about as much as summing all its windows.
    """

    windows: tuple[timedelta, ...]  # every distinct alert window, long and short, and the forecast window; shortest first
    seconds: tuple[int, ...]  # each window's length
    labels: tuple[str, ...]  # each window's label: "5m", "1h", ...
    forecast: timedelta  # the shortest long alert window; 1h without alerts
    forecast_label: str


@lru_cache(maxsize=1024)
def burn_windows_of(alert_windows: tuple[AlertWindow, ...]) -> BurnWindows:
    """The :class:`BurnWindows` of an alert table (cached: a fleet has few distinct tables)."""
    forecast = min((a.long for a in alert_windows), default=DEFAULT_FORECAST_WINDOW)
    windows = tuple(sorted({w for a in alert_windows for w in (a.long, a.short)} | {forecast}))
    return BurnWindows(
        windows=windows,
        seconds=tuple(int(w.total_seconds()) for w in windows),
        labels=tuple(format_duration(w) for w in windows),
        forecast=forecast,
        forecast_label=format_duration(forecast),
    )


def forecast_window(slo: SLO) -> timedelta:
    """The shortest long alert window (1h with the workbook table); 1h when the SLO has no alerts."""
    return burn_windows_of(slo.alert_windows).forecast


def burn_windows(slo: SLO) -> list[timedelta]:
    """Every distinct alert window, long and short, plus the forecast window; shortest first."""
    return list(burn_windows_of(slo.alert_windows).windows)


def window_starts(slo: SLO, at_epoch: int) -> list[int]:
    """The start of every window :func:`evaluate` sums over at ``at_epoch``: the SLO
    window's, then each burn-rate window's (``at - w``), shortest first. Every window
    ends at ``at_epoch``; the earliest start is as far back as evaluation reads."""
    at_epoch = int(at_epoch)
    start, _ = period_bounds(slo.window, at_epoch)
    return _starts(start, at_epoch, burn_windows_of(slo.alert_windows))


def _starts(window_start: int, at_epoch: int, burn: BurnWindows) -> list[int]:
    return [window_start] + [at_epoch - seconds for seconds in burn.seconds]


def evaluate(slo: SLO, ts, good, total, at_epoch: int, step_s: int = 60, *, step_counts=None) -> SLOStatus:
    """Evaluate ``slo`` over per-step counts with every window ending at ``at_epoch``.

    ``ts``/``good``/``total`` follow the data convention of ``engine.steps``; they
    may reach beyond the windows. ``step_counts`` (optional) says how many steps each
    row stands for, when some rows are hourly rollups (``sloboard.reads.plan``);
    it only matters to data completeness. Formulas: ``engine.budget`` (fractions,
    minutes, forecast), ``engine.methods`` (budgeting methods), ``engine.alerts``
    (burn rates).
    """
    at_epoch = int(at_epoch)
    start, period_end = period_bounds(slo.window, at_epoch)
    period_s = period_end - start
    burn = burn_windows_of(slo.alert_windows)
    # The SLO window and every burn window, summed in one pass over the rows.
    counts, *trailing = trailing_counts(ts, good, total, _starts(start, at_epoch, burn), at_epoch, step_counts)

    size, bad = budget_totals(slo, counts, lambda: Steps.between(ts, good, total, start, at_epoch), step_s)
    sli = 1.0 - bad / size if size > 0 else math.nan
    consumed = budget_consumed(sli, slo.objective)
    remaining = 1.0 - consumed
    allowed = (1.0 - slo.objective) * size if size > 0 else math.nan
    minutes_total = budget_minutes(slo.objective, period_s)

    rates = trailing_burn_rates(dict(zip(burn.windows, trailing)), slo.objective)
    forecast_rate = rates[burn.forecast]
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
        burn_rates=dict(zip(burn.labels, rates.values())),
        alerts=tuple(alert_state(a, rates) for a in slo.alert_windows),
        forecast_window=burn.forecast_label,
        exhaustion_at=exhaustion_epoch(remaining, math.nan if forecast_rate is None else forecast_rate, at_epoch, period_s),
        data_completeness=_known(completeness(counts.steps, start, at_epoch, step_s)),
    )


def _known(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
