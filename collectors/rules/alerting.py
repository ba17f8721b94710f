"""Alert rules of one SLO: its multi-window, multi-burn-rate table and an absent-data alert.

A burn-rate alert fires when the burn rate, error ratio / (1 - objective), is at or above
its threshold over both its long and its short window, as ``sloboard.engine.alerts``
decides it (SRE workbook, ch. 5). The expression's value is the long window's burn rate,
so the annotation can show it.

``for:`` is half the short window (at least one step): a burn must outlast a single
evaluation before it pages, while the short window still ends the alert soon after the
burn stops (Pyrra waits a similar share of its short windows).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote as url_quote

from sloboard.domain import SLO, AlertWindow, format_duration

from .recording import TOTAL, RuleOptions, error_ratio_name, number, series, slo_labels

BURN_ALERT = "SLOErrorBudgetBurn"
ABSENT_ALERT = "SLOIndicatorAbsent"
# The SLO's series must be missing this long: rule evaluations and scrapes may lag a little.
ABSENT_FOR = "10m"


def dashboard_link(slo: SLO, options: RuleOptions) -> str:
    """The SLO's page in the dashboard (``/slo/<id>``, the id's slash kept)."""
    return f"{options.dashboard_url.rstrip('/')}/slo/{url_quote(slo.id, safe='/')}"


def for_duration(window: AlertWindow, options: RuleOptions) -> str:
    seconds = max(options.step_s, int(window.short.total_seconds()) // 2)
    return format_duration(timedelta(seconds=seconds))


def burn_rate_alert(slo: SLO, window: AlertWindow, options: RuleOptions) -> dict:
    budget, threshold = number(1.0 - slo.objective), number(window.burn_rate)
    long_, short = format_duration(window.long), format_duration(window.short)
    expr = (f"{series(error_ratio_name(window.long), slo)} / {budget} >= {threshold}"
            f" and {series(error_ratio_name(window.short), slo)} / {budget} >= {threshold}")
    return {
        "alert": BURN_ALERT,
        "expr": expr,
        "for": for_duration(window, options),
        "labels": {**slo_labels(slo), "severity": window.severity.value,
                   "long_window": long_, "short_window": short},
        "annotations": {
            "summary": (f"{slo.id} is spending its error budget {{{{ $value | printf \"%.1f\" }}}}x as fast "
                        f"as its objective allows (threshold {window.burn_rate:g}x over {long_} and {short})"),
            "burn_rate": "{{ $value | printf \"%.2f\" }}",
            "dashboard": dashboard_link(slo, options),
        },
    }


def absent_alert(slo: SLO, options: RuleOptions) -> dict:
    return {
        "alert": ABSENT_ALERT,
        "expr": f"absent({series(TOTAL, slo)})",
        "for": ABSENT_FOR,
        "labels": {**slo_labels(slo), "severity": "ticket"},
        "annotations": {
            "summary": (f"{slo.id} has no data: its total query has returned nothing for {ABSENT_FOR}, "
                        "so its burn-rate alerts cannot fire"),
            "dashboard": dashboard_link(slo, options),
        },
    }


def alert_rules(slo: SLO, options: RuleOptions) -> list[dict]:
    return [burn_rate_alert(slo, w, options) for w in slo.alert_windows] + [absent_alert(slo, options)]
