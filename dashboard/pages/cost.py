"""Cost: spend per scope over 1, 7 and 30 days and month to date, with budget and
month-end forecast (the ``cost`` entries of ``status_report``), and spend per day."""

from __future__ import annotations

import dash
import plotly.graph_objects as go
from dash import Input, Output, html

from dashboard.components import format as fmt
from dashboard.components.empty import empty_state
from dashboard.components.figures import graph, period_bars, styled
from dashboard.components.filters import Filters, filter_bar, filter_id, tick_id
from dashboard.components.levels import INFO, UNKNOWN, Level
from dashboard.components.tables import data_table
from dashboard.components.tiles import tile, tiles
from dashboard.context import current
from sloboard.views import cost_history

dash.register_page(__name__, path="/cost", name="Cost", title="Cost · sloboard", order=2)

PAGE = "cost"
NOT_SET = Level("unknown", "–", "Not set")
OVER = Level("bad", "✕", "Over budget")
NEAR = Level("warn", "▲", "Near budget")
WITHIN = Level("good", "✓", "Within budget")
WINDOWS = ("1d", "7d", "30d", "month")
NO_COST_HINT = ("Cost comes from OpenCost metrics in Prometheus (`sloboard collect`) or a cloud bill "
                "imported with `sloboard cost import bill.csv`.")


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


def selected_scope(filters: Filters) -> str:
    if filters.service:
        return f"service:{filters.service}"
    if filters.team:
        return f"team:{filters.team}"
    return "total"


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


def pivot(entries: list[dict], scopes: list[str]) -> list[dict]:
    rows = []
    for scope in scopes:
        by_window = {e["window"]: e for e in entries if e["scope"] == scope}
        month = by_window.get("month", {})
        rows.append({
            "scope": scope,
            **{f"usd_{w}": by_window.get(w, {}).get("usd") for w in WINDOWS},
            "budget": month.get("budget_usd"),
            "forecast": month.get("forecast_usd"),
            "state": budget_text(month),
        })
    return rows


def budget_text(month: dict) -> str:
    if month.get("budget_usd") is None:
        return "no budget set"
    if month.get("forecast_overrun"):
        return "✕ forecast over budget"
    if month.get("budget_warning"):
        return "▲ near budget"
    return "✓ within budget"


def cost_tiles(month: dict | None, thirty: dict | None, scope: str):
    if month is None:
        return tiles([tile("Month to date", fmt.NO_DATA, UNKNOWN, scope, tile_id="tile-mtd")])
    budget = month.get("budget_usd")
    state = OVER if month.get("forecast_overrun") else NEAR if month.get("budget_warning") else WITHIN
    return tiles([
        tile("Month to date", fmt.usd(month["usd"]), INFO, scope, tile_id="tile-mtd"),
        tile("Month-end forecast", fmt.usd(month["forecast_usd"]), state if budget is not None else INFO,
             "at the month-to-date rate", tile_id="tile-forecast"),
        tile("Monthly budget", fmt.usd(budget) if budget is not None else "not set",
             state if budget is not None else NOT_SET,
             f"forecast is {fmt.pct(month['forecast_usd'] / budget, 0)} of it"
             if budget is not None and month["forecast_usd"] is not None else "set cost.budgets_usd in sloboard.yaml",
             tile_id="tile-cost-budget"),
        tile("Last 30 days", fmt.usd(thirty["usd"] if thirty else None), INFO, scope, tile_id="tile-30d"),
    ])


def spend_chart(ctx, at: int, filters: Filters, team_of: dict[str, str]):
    tz = ctx.settings.timezone
    bucket = 3600 if filters.range_s <= 86_400 else 86_400
    history = cost_history(ctx.store, at, filters.range_s, bucket, team_of)
    services = [s for s in shown_scopes(set(history), filters, team_of) if s.startswith("service:")]
    fig = go.Figure()
    for scope in services:
        series = history[scope]
        if series.has_data:
            period_bars(fig, series, bucket, tz, name=scope.partition(":")[2],
                        hovertemplate="$%{y:,.2f}<extra>" + scope + "</extra>")
    if not fig.data:
        return empty_state(f"No cost data in the last {filters.range}", NO_COST_HINT, element_id="cost-chart-empty")
    fig.update_layout(barmode="stack", bargap=0.15)
    per = "hour" if bucket == 3600 else "day (UTC)"
    return graph(styled(fig, f"Spend per {per} by service", "USD", tz, height=300), "cost-chart")


def register_callbacks(app) -> None:
    @app.callback(
        Output("cost-body", "children"),
        Input(filter_id("range"), "value"),
        Input(filter_id("team"), "value"),
        Input(filter_id("service"), "value"),
        Input(tick_id(PAGE), "n_intervals"),
    )
    def render(range_label, team, service, _tick):
        ctx = current()
        filters = Filters.parse(range=range_label, team=team, service=service)
        at = ctx.at()
        entries = ctx.report(at)["cost"]
        team_of = {s.service: s.team for s in ctx.slos if s.team}
        scope = selected_scope(filters)
        month = next((e for e in entries if e["scope"] == scope and e["window"] == "month"), None)
        thirty = next((e for e in entries if e["scope"] == scope and e["window"] == "30d"), None)
        rows = pivot(entries, shown_scopes({e["scope"] for e in entries}, filters, team_of))
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
        return [
            cost_tiles(month, thirty, scope),
            spend_chart(ctx, at, filters, team_of),
            html.H2("Spend by scope"),
            data_table("cost-table", columns, rows, empty_title="No cost data", empty_hint=NO_COST_HINT),
        ]
