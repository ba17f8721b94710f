"""Overview: are we inside our SLOs, how do we deliver, what does it cost? Reliability
tiles, delivery and cost tiles with their 7- and 30-day trends, the SLO table worst
first, and how each shown SLO's error budget moved over the selected time range."""

from __future__ import annotations

from typing import Sequence

import dash
import plotly.graph_objects as go
from dash import Input, Output, html

from dashboard.components import format as fmt
from dashboard.components.computing import computing_note
from dashboard.components.dora import dora_window
from dashboard.components.empty import empty_state
from dashboard.components.figures import COLORS, graph, hover, styled, timed
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.kpis import cost_tile, delivery_tiles
from dashboard.components.levels import BAD, GOOD, UNKNOWN, WARN, share_level
from dashboard.components.slo_table import slo_table, worst_first
from dashboard.components.tables import register_link_table
from dashboard.components.tiles import tile, tiles
from dashboard.components.view import View, read_view, view_inputs
from dashboard.context import current
from sloboard.engine.policy import FREEZE
from sloboard.engine.policy import WARN as WARN_STATE
from sloboard.reads.cost import MONTH
from sloboard.reads.history import budget_history
from sloboard.reads.status import SLOEntry, StatusReport

dash.register_page(__name__, path="/", name="Overview", title="SLO overview · sloboard", order=0)

PAGE = "overview"
TREND_LIMIT = 8  # lines on the budget chart; more would not be readable


def layout(**query):
    ctx = current()
    return html.Div(
        [
            html.H1("SLO overview"),
            filter_bar(PAGE, Filters.parse(**query), teams=ctx.teams, services=ctx.services, search=True),
            html.Div(id="overview-body"),
        ]
    )


def matches(slo: SLOEntry, team: str | None, service: str | None, q: str) -> bool:
    """Team and service must equal; the search text may appear in the id, service or team."""
    if team and slo.team != team:
        return False
    if service and slo.service != service:
        return False
    needle = q.strip().lower()
    return not needle or any(needle in (text or "").lower() for text in (slo.id, slo.service, slo.team))


def reliability_tiles(shown: Sequence[SLOEntry]) -> html.Div:
    known = [s for s in shown if s.sli is not None]
    meeting = sum(s.sli >= s.objective for s in known)
    frozen = sum(s.policy == FREEZE for s in shown)
    low = sum(s.policy == WARN_STATE for s in shown)
    pages = sum(any(a.firing and a.severity == "page" for a in s.alerts) for s in shown)
    alerting = sum(any(a.firing for a in s.alerts) for s in shown)
    worst = worst_first(shown)[0] if shown else None
    completeness = [s.data_completeness for s in shown if s.data_completeness is not None]
    lowest = min(completeness, default=None)

    attainment_level = share_level(len(known) - meeting, 0, len(known))
    budget_level = share_level(frozen, low, len([s for s in shown if s.budget_remaining is not None]))
    alert_lvl = share_level(pages, alerting - pages, len(known))
    data_level = UNKNOWN if lowest is None else GOOD if lowest >= 0.99 else WARN if lowest >= 0.9 else BAD
    return tiles(
        [
            tile("SLOs meeting objective", f"{meeting} / {len(known)}" if known else fmt.NO_DATA, attainment_level,
                 f"{len(shown) - len(known)} without data" if len(shown) > len(known) else "SLI ≥ objective",
                 tile_id="tile-meeting"),
            tile("Lowest budget", fmt.pct(worst.budget_remaining, 1) if worst else fmt.NO_DATA, budget_level,
                 f"{worst.id} · {frozen} frozen, {low} low" if worst else "", tile_id="tile-budget"),
            tile("SLOs alerting", str(alerting), alert_lvl,
                 f"{pages} paging, {alerting - pages} ticket only", tile_id="tile-alerts"),
            tile("Data completeness", fmt.pct(lowest, 1), data_level, "lowest over the SLO windows",
                 tile_id="tile-data"),
        ]
    )


def delivery_and_cost(ctx, report: StatusReport, shown: Sequence[SLOEntry], view: View) -> html.Div:
    """DORA over the services shown (all services when no filter narrows them) and the cost of
    the scope the filters choose, each over the window nearer the time range."""
    filters = view.filters
    narrowed = bool(filters.team or filters.service or filters.q)
    services = {s.service for s in shown} if narrowed else None
    scope = f"{len(services)} service(s) shown" if narrowed else "all services"
    window = int(dora_window(view.span_s).rstrip("d"))
    cost_scope = filters.cost_scope()
    month = next((e for e in report.cost if e.scope == cost_scope and e.window == MONTH), None)
    dora = ctx.dora_trends(view.at, services)
    cost = ctx.cost_trends(view.at, cost_scope)
    return html.Div(
        [
            html.P(f"Delivery ({scope}) and cost ({cost_scope}) · tile values over the last {window} days; each row "
                   "compares a period with the one before it, the line shows its days.", className="tiles-caption"),
            tiles([*delivery_tiles(dora, window, ctx.dora_bands), cost_tile(month, cost, cost_scope)]),
        ]
    )


def budget_trend(ctx, shown: Sequence[SLOEntry], view: View):
    candidates = [s for s in worst_first(shown) if s.budget_remaining is not None][:TREND_LIMIT]
    if not candidates:
        return empty_state("No budget history to draw",
                           "None of the SLOs shown has samples. Run `sloboard collect` (or `sloboard demo`) "
                           "and check Collection health.", element_id="overview-trend-empty")
    slos = [s.slo for s in candidates]
    history = budget_history(ctx.store, slos, view.end, view.span_s, step_s=ctx.step_s)
    fig = go.Figure()
    for slo in slos:
        series = history[slo.id]
        fig.add_trace(go.Scatter(**timed(series.ts, view.tz), y=series.values * 100, mode="lines", name=slo.id,
                                 hovertemplate=hover(view.tz, "%{y:.1f}% remaining", slo.id)))
    fig.add_hline(y=0, line={"color": COLORS["objective"], "dash": "dot"}, annotation_text="budget exhausted",
                  annotation_position="bottom left")
    title = f"Error budget remaining over {view.label}"
    if len(shown) > len(candidates):
        title += f" (the {len(candidates)} lowest)"
    return graph(styled(fig, title, "budget remaining (%)", view.tz, height=360, large=view.wall), "overview-trend")


def register_callbacks(app) -> None:
    register_link_table(app, "overview-table")

    @app.callback(
        Output("overview-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
    )
    def render(values, ids, starts, ends, browser, _tick):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        if not ctx.slos:
            return empty_state("No SLOs loaded",
                               f"Put SLO specs (OpenSLO, Sloth or Pyrra YAML) in {ctx.settings.specs_dir} and run "
                               "`sloboard validate`; see /readyz for the reason.", element_id="overview-empty")
        # The report and the trends read deployments and cost rows only when they are computed
        # here, not when another worker shared them.
        report = ctx.report(view.at, dora=False)  # its DORA tiles are trends of their own
        filters = view.filters
        shown = [s for s in report.slos if matches(s, filters.team, filters.service, filters.q)]
        delivery = delivery_and_cost(ctx, report, shown, view)
        trend = budget_trend(ctx, shown, view)
        note = computing_note(view.tz)  # after every read: any of them may have served older figures
        return [
            *([note] if note else []),
            reliability_tiles(shown),
            delivery,
            html.H2(f"SLOs ({len(shown)} of {len(report.slos)})"),
            html.Div(
                [
                    slo_table("overview-table", shown, empty_title="No SLO matches these filters",
                              empty_hint="Clear the team, service or search filter to see every SLO.",
                              query=filters.query_string()),
                    trend,
                ],
                className="overview-main",
            ),
        ]
