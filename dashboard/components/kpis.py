"""Delivery and cost KPI tiles of the overview: each with its level against a target,
and its 7- and 30-day trend (a sparkline of daily values, and the change against the
period before).

Targets, as the dashboard's contract states them:

- deployment success rate (succeeded / all): on target at 99 % or more, below target
  from 95 %, off target under 95 %;
- rollback rate (rolled back / all): on target under 2 %, above target under 5 %, off
  target from 5 %;
- deployment frequency and change failure rate: their DORA 2023 band (elite and high
  on target, medium at risk, low off target);
- cost month to date: the budget state of the status report (within, near, forecast over).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dash import html

from sloboard.engine.dora import BandScales
from sloboard.reads.cost import CostEntry
from sloboard.reads.trends import Trend

from . import format as fmt
from .deploys import NO_DEPLOYS_HINT
from .dora import band_level
from .levels import UNKNOWN, Level
from .sparkline import sparkline
from .tiles import tile

ON_TARGET = Level("good", "✓", "On target")
OFF_TARGET = Level("bad", "✕", "Off target")
WITHIN_BUDGET = Level("good", "✓", "Within budget")
NEAR_BUDGET = Level("warn", "▲", "Near budget")
OVER_BUDGET = Level("bad", "✕", "Forecast over budget")
NO_BUDGET = Level("info", "•", "No budget set")
NO_COST_HINT = ("Cost comes from OpenCost metrics in Prometheus (`sloboard collect`) or a cloud bill "
                "imported with `sloboard cost import bill.csv`.")


@dataclass(frozen=True)
class Target:
    """A fraction to stay above (``higher_is_better``) or below: on target up to ``goal``,
    at risk up to ``limit``, off target beyond."""

    goal: float
    limit: float
    higher_is_better: bool
    at_risk: Level

    def level(self, value: float | None) -> Level:
        if value is None:
            return UNKNOWN
        def meets(bound: float) -> bool:
            return value >= bound if self.higher_is_better else value < bound
        if meets(self.goal):
            return ON_TARGET
        return self.at_risk if meets(self.limit) else OFF_TARGET

    def describe(self) -> str:
        return f"target {'≥' if self.higher_is_better else '<'} {fmt.objective(self.goal)}"


SUCCESS_TARGET = Target(0.99, 0.95, True, Level("warn", "▲", "Below target"))
ROLLBACK_TARGET = Target(0.02, 0.05, False, Level("warn", "▲", "Above target"))


@dataclass(frozen=True)
class Kpi:
    """How one KPI reads: its value, a change, and whether up is good."""

    show: Callable[[float | None], str]
    change: Callable[[float], str]
    higher_is_better: bool | None  # None: neither direction is better (spend)


def _per_day(value: float | None) -> str:
    return fmt.NO_DATA if value is None else f"{value:.2f}/day"


# ``change`` formats the size of a change; an arrow gives its direction.
KPIS = {
    "success_rate": Kpi(lambda v: fmt.pct(v, 1), lambda d: f"{d * 100:.1f} pp", True),
    "deployment_frequency": Kpi(_per_day, lambda d: f"{d:.2f}/day", True),
    "rollback_rate": Kpi(lambda v: fmt.pct(v, 1), lambda d: f"{d * 100:.1f} pp", False),
    "change_failure_rate": Kpi(lambda v: fmt.pct(v, 1), lambda d: f"{d * 100:.1f} pp", False),
    "cost": Kpi(fmt.usd, fmt.usd, None),
}


def change_text(kpi: Kpi, trend: Trend) -> tuple[str, str]:
    """The change against the period before, in words, and its CSS modifier."""
    delta = trend.delta
    if delta is None:
        return f"no prior {trend.days}d", "none"
    if delta == 0:
        return "no change", "flat"
    said = f"{'↑' if delta > 0 else '↓'} {kpi.change(abs(delta))}"
    if kpi.higher_is_better is None:
        return said, "flat"
    better = (delta > 0) == kpi.higher_is_better
    return f"{said} {'better' if better else 'worse'}", "better" if better else "worse"


def trend_row(kpi: Kpi, trend: Trend, row_id: str, daily_show: Callable[[float], str]) -> html.Div:
    """``7d ~~~ 97.5 % ↑ +1.2 pp better``: the period's value, its days, and the change."""
    change, modifier = change_text(kpi, trend)
    before = kpi.show(trend.previous) if trend.previous is not None else "not recorded"
    return html.Div(
        [
            html.Span(f"{trend.days}d", className="trend-label"),
            sparkline(trend.daily.values, daily_show, f"{len(trend.daily.values)} daily values"),
            html.Span(kpi.show(trend.value), className="trend-value"),
            html.Span(change, className=f"trend-change trend-{modifier}"),
        ],
        className="trend",
        id=row_id,
        title=f"last {trend.days} days: {kpi.show(trend.value)}; the {trend.days} days before: {before}",
    )


def trend_rows(kpi: Kpi, trends: dict[int, Trend], tile_id: str, daily_show: Callable[[float], str]) -> list | None:
    """A row per period; none when nothing was recorded at all (the tile says what to do instead)."""
    if all(t.value is None and not t.daily.has_data for t in trends.values()):
        return None
    return [trend_row(kpi, trends[days], f"{tile_id}-{days}d", daily_show) for days in sorted(trends)]


def kpi_tile(name: str, label: str, trends: dict[int, Trend], window_days: int, level: Level, detail: str,
             tile_id: str, daily_show: Callable[[float], str] | None = None,
             empty_detail: str = "no deployments recorded") -> html.Div:
    """A tile whose value is the KPI over ``window_days``, with a trend row per period;
    ``empty_detail`` replaces ``detail`` when nothing was recorded."""
    kpi = KPIS[name]
    rows = trend_rows(kpi, trends, tile_id, daily_show or kpi.show)
    return tile(f"{label} ({window_days}d)", kpi.show(trends[window_days].value), level,
                detail if rows else empty_detail, tile_id=tile_id, extra=rows)


def delivery_tiles(dora: dict[str, dict[int, Trend]], window_days: int, bands: BandScales) -> list[html.Div]:
    """Success rate, frequency, rollback rate and change failure rate over ``window_days``,
    the frequency and change failure rate in their DORA ``bands``."""
    now = {name: by_days[window_days].value for name, by_days in dora.items()}
    deployed = None if now["deployment_frequency"] is None else round(now["deployment_frequency"] * window_days)
    count = f"{deployed} deployments" if deployed is not None else "no deployments recorded"
    return [
        kpi_tile("success_rate", "Success rate", dora["success_rate"], window_days,
                 SUCCESS_TARGET.level(now["success_rate"]), f"deploys succeeded · {SUCCESS_TARGET.describe()}",
                 "tile-success"),
        kpi_tile("deployment_frequency", "Deploy frequency", dora["deployment_frequency"], window_days,
                 band_level(bands["deployment_frequency"].band(now["deployment_frequency"])),
                 f"{count} · DORA band", "tile-frequency", daily_show=lambda v: f"{v:.0f}",
                 empty_detail=NO_DEPLOYS_HINT),
        kpi_tile("rollback_rate", "Rollback rate", dora["rollback_rate"], window_days,
                 ROLLBACK_TARGET.level(now["rollback_rate"]), f"deploys rolled back · {ROLLBACK_TARGET.describe()}",
                 "tile-rollback"),
        kpi_tile("change_failure_rate", "Change failure rate", dora["change_failure_rate"], window_days,
                 band_level(bands["change_failure_rate"].band(now["change_failure_rate"])),
                 "failed + rolled back / all · DORA band", "tile-cfr"),
    ]


def budget_level(month: CostEntry | None) -> Level:
    if month is None or month.usd is None:
        return UNKNOWN
    if month.budget_usd is None:
        return NO_BUDGET
    if month.forecast_overrun:
        return OVER_BUDGET
    return NEAR_BUDGET if month.budget_warning else WITHIN_BUDGET


def cost_tile(month: CostEntry | None, trends: dict[int, Trend], scope: str) -> html.Div:
    """Month-to-date spend of ``scope`` (the status report's ``month`` entry) against its budget,
    with the spend of the last 7 and 30 days."""
    kpi = KPIS["cost"]
    mtd = None if month is None else month.usd
    budget = None if month is None else month.budget_usd
    forecast = None if month is None else month.forecast_usd
    parts = []
    if budget is not None:
        parts.append((f"{fmt.pct(mtd / budget, 0)} of " if mtd is not None else "") + f"{fmt.usd(budget)} budget")
    if forecast is not None:
        parts.append(f"forecast {fmt.usd(forecast)}")
    detail = " · ".join([*parts, scope])
    rows = trend_rows(kpi, trends, "tile-cost", kpi.show)
    if mtd is None and not rows:
        detail = NO_COST_HINT
    return tile("Cost month to date", fmt.usd(mtd), budget_level(month), detail, tile_id="tile-cost", extra=rows)
