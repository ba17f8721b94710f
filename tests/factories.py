"""Factories that derive test variants from one sensible default (``make_slo(objective=0.9)``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sloboard.domain import (
    SLO,
    AlertWindow,
    Indicator,
    IndicatorKind,
    QueryMode,
    Severity,
    Window,
)

WORKBOOK_WINDOWS = (
    AlertWindow(Severity.PAGE, timedelta(hours=1), timedelta(minutes=5), 14.4),
    AlertWindow(Severity.PAGE, timedelta(hours=6), timedelta(minutes=30), 6.0),
    AlertWindow(Severity.TICKET, timedelta(days=3), timedelta(hours=6), 1.0),
)


def make_indicator(**overrides) -> Indicator:
    base = Indicator(
        kind=IndicatorKind.RATIO,
        good='sum(http_requests_total{service="checkout",code!~"5.."})',
        total='sum(http_requests_total{service="checkout"})',
        mode=QueryMode.COUNTER,
    )
    return dataclasses.replace(base, **overrides)


def make_slo(**overrides) -> SLO:
    base = SLO(
        id="checkout/availability",
        service="checkout",
        name="availability",
        team="payments-team",
        objective=0.999,
        window=Window(duration=timedelta(days=28)),
        indicator=make_indicator(),
        alert_windows=WORKBOOK_WINDOWS,
    )
    return dataclasses.replace(base, **overrides)


def read_options(step_s: int = 60, timezone_name: str = "UTC", **budgets) -> dict:
    """The explicit parameters of ``reads.status.status_report`` as the default settings give
    them (60 s steps, UTC, no cost budgets, the DORA 2023 bands); ``budgets`` as ``CostBudgets``' fields."""
    from sloboard.dora_bands import load_dora_bands
    from sloboard.engine.cost import CostBudgets

    return {"step_s": step_s, "timezone_name": timezone_name, "cost_budgets": CostBudgets(**budgets),
            "dora_bands": load_dora_bands()}


def settings_read_options(settings) -> dict:
    """The explicit parameters of ``reads.status.status_report`` from ``settings``."""
    from sloboard.dora_bands import load_dora_bands

    return {"step_s": settings.collect.step_s, "timezone_name": settings.timezone,
            "cost_budgets": settings.cost.budgets(), "dora_bands": load_dora_bands()}
