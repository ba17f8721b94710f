"""Cost: spend per scope over 1, 7 and 30 days and month to date, with budget and
month-end forecast (the ``cost`` entries of ``status_report``), and spend per day."""

from __future__ import annotations

from typing import Sequence

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, html

from dashboard.components import format as fmt
from dashboard.components.computing import computing_note
from dashboard.components.empty import empty_state
from dashboard.components.figures import graph, hover, styled, timed
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.kpis import NO_COST_HINT, budget_level
from dashboard.components.levels import INFO, UNKNOWN, Level
from dashboard.components.tables import data_table
from dashboard.components.tiles import tile, tiles
from dashboard.components.view import View, read_view, view_inputs
from dashboard.context import current
from sloboard.engine.buckets import biggest_and_rest
from sloboard.reads.cost import MONTH, CostEntry, cost_buckets, cost_scope_name, local_day_cuts

dash.register_page(__name__, path="/cost", name="Cost", title="Cost · sloboard", order=2)

PAGE = "cost"
NOT_SET = Level("unknown", "–", "Not set")
WINDOWS = ("1d", "7d", "30d", "month")
# More stacked bars than this drown the chart in its legend (a fleet has hundreds of services).
TOP_SERVICES = 10
OTHERS_COLOUR = "#999999"
BAR_GAP = 0.15  # of each bar's bucket, between bars


def layout(**query):
    ctx = current()
    return html.Div(
        [
            html.H1("Cost"),
            filter_bar(PAGE, Filters.parse(**query), teams=ctx.teams, services=ctx.services,
                       range_note="Spend totals are for fixed windows (1d, 7d, 30d, month to date); "
                                  "the chart follows the time range."),
            html.Div(id="cost-body"),
        ]
    )


def shown_scopes(scopes: set[str], filters: Filters, team_of: dict[str, str]) -> list[str]:
    """The scope chosen by the filters, and the services inside it."""
    def in_filter(scope: str) -> bool:
        kind, _, name = scope.partition(":")
        if filters.service:
            return scope == f"service:{filters.service}"
        if filters.team:
            return scope == f"team:{filters.team}" or (kind == "service" and team_of.get(name) == filters.team)
        return True
    return sorted((s for s in scopes if in_filter(s)), key=lambda s: (s != "total", not s.startswith("team:"), s))


def pivot(entries: Sequence[CostEntry], scopes: list[str]) -> list[dict]:
    rows = []
    for scope in scopes:
        by_window = {e.window: e for e in entries if e.scope == scope}
        month = by_window.get(MONTH)
        rows.append({
            "scope": cost_scope_name(scope),
            **{f"usd_{w}": by_window[w].usd if w in by_window else None for w in WINDOWS},
            "budget": month.budget_usd if month else None,
            "forecast": month.forecast_usd if month else None,
            "state": budget_text(month),
        })
    return rows


def budget_text(month: CostEntry | None) -> str:
    if month is None or month.budget_usd is None:
        return "no budget set"
    if month.forecast_overrun:
        return "✕ forecast over budget"
    if month.budget_warning:
        return "▲ near budget"
    return "✓ within budget"


def cost_tiles(month: CostEntry | None, thirty: CostEntry | None, scope: str):
    if month is None:
        return tiles([tile("Month to date", fmt.NO_DATA, UNKNOWN, scope, tile_id="tile-mtd")])
    budget = month.budget_usd
    state = budget_level(month)
    return tiles([
        tile("Month to date", fmt.usd(month.usd), INFO, scope, tile_id="tile-mtd"),
        tile("Month-end forecast", fmt.usd(month.forecast_usd), state if budget is not None else INFO,
             "at the month-to-date rate", tile_id="tile-forecast"),
        tile("Monthly budget", fmt.usd(budget) if budget is not None else "not set",
             state if budget is not None else NOT_SET,
             f"forecast is {fmt.pct(month.forecast_usd / budget, 0)} of it"
             if budget is not None and month.forecast_usd is not None else "set cost.budgets_usd in sloboard.yaml",
             tile_id="tile-cost-budget"),
        tile("Last 30 days", fmt.usd(thirty.usd if thirty else None), INFO, scope, tile_id="tile-30d"),
    ])


def spend_cuts(view: View) -> tuple[list[int], str]:
    """Where the chart's bars begin, and what a bar is: hours up to two days, else the days of
    the zone the chart is shown in (the reports' days when that is the configured zone)."""
    if view.span_s <= 2 * 86_400:
        return [view.start, *range(view.start // 3600 * 3600 + 3600, view.end, 3600)], "hour"
    return local_day_cuts(view.start, view.end, view.tz), f"day ({view.tz} days)"


def spend_bars(fig: go.Figure, series, starts: np.ndarray, tz: str, *, name: str, **bar) -> None:
    """Bars over their bucket (a day may be 23 or 25 hours) less a gap, the tooltip naming its start."""
    length_ms = (series.ts - starts) * 1000
    fig.add_trace(go.Bar(**timed(starts, tz), y=series.values, name=name, width=length_ms * (1 - BAR_GAP),
                         offset=length_ms * BAR_GAP / 2, hovertemplate=hover(tz, "$%{y:,.2f}", name), **bar))


def spend_chart(ctx, view: View, team_of: dict[str, str]):
    cuts, per = spend_cuts(view)
    history = cost_buckets(ctx.store, cuts, view.end, team_of)
    starts = np.array(cuts, dtype=np.int64)
    services = [s for s in shown_scopes(set(history), view.filters, team_of) if s.startswith("service:")]
    fig = go.Figure()
    biggest, rest = biggest_and_rest({cost_scope_name(s, bare=True): history[s] for s in services}, TOP_SERVICES)
    for name, series in biggest.items():
        spend_bars(fig, series, starts, view.tz, name=name)
    if rest is not None:
        spend_bars(fig, rest.series, starts, view.tz, name=f"{rest.count} other services",
                   marker={"color": OTHERS_COLOUR})
    if not fig.data:
        return empty_state(f"No cost data in {view.label}", NO_COST_HINT, element_id="cost-chart-empty")
    fig.update_layout(barmode="stack")
    return graph(styled(fig, f"Spend per {per} by service", "USD", view.tz, height=320, large=view.wall), "cost-chart")


def register_callbacks(app) -> None:
    @app.callback(
        Output("cost-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
    )
    def render(values, ids, starts, ends, browser, _tick):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        entries = ctx.report(view.at).cost
        team_of = {s.service: s.team for s in ctx.slos if s.team}
        scope = view.filters.cost_scope()
        month = next((e for e in entries if e.scope == scope and e.window == MONTH), None)
        thirty = next((e for e in entries if e.scope == scope and e.window == "30d"), None)
        rows = pivot(entries, shown_scopes({e.scope for e in entries}, view.filters, team_of))
        usd = {"type": "numeric", "format": {"specifier": "$,.2f", "nully": "no data"}}
        columns = [
            {"id": "scope", "name": "Scope"},
            {"id": "usd_1d", "name": "Last 1d", **usd},
            {"id": "usd_7d", "name": "Last 7d", **usd},
            {"id": "usd_30d", "name": "Last 30d", **usd},
            {"id": "usd_month", "name": "Month to date", **usd},
            {"id": "budget", "name": "Monthly budget", "type": "numeric",
             "format": {"specifier": "$,.2f", "nully": "not set"}},
            {"id": "forecast", "name": "Month-end forecast", **usd},
            {"id": "state", "name": "Budget state"},
        ]
        chart = spend_chart(ctx, view, team_of)
        note = computing_note(view.tz)  # the report may be the previous instant's while another worker computes
        return [
            *([note] if note else []),
            cost_tiles(month, thirty, scope),
            chart,
            html.H2("Spend by scope"),
            data_table("cost-table", columns, rows, empty_title="No cost data", empty_hint=NO_COST_HINT),
        ]
