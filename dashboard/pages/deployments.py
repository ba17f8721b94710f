"""Deployments: DORA metrics (as ``sloboard status`` computes them), deployments over
time by outcome, and every deployment in the time range."""

from __future__ import annotations

import dash
from dash import Input, Output, html

from dashboard.components.deploys import deploys_chart, deploys_table
from dashboard.components.dora import dora_entry, dora_tiles, dora_window
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.tables import register_link_table
from dashboard.components.view import read_view, view_inputs
from dashboard.context import current

dash.register_page(__name__, path="/deployments", name="Deployments", title="Deployments · sloboard", order=1)

PAGE = "deployments"


def layout(**query):
    ctx = current()
    services = ctx.known_services(ctx.at())
    return html.Div(
        [
            html.H1("Deployments and DORA metrics"),
            filter_bar(PAGE, Filters.parse(**query), services=services,
                       range_note="DORA metrics cover 7 days for ranges up to 7d, else 30 days."),
            html.Div(id="deployments-body"),
        ]
    )


def register_callbacks(app) -> None:
    register_link_table(app, "deployments-table")

    @app.callback(
        Output("deployments-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
    )
    def render(values, ids, starts, ends, browser, _tick):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        service = view.filters.service
        window = dora_window(view.span_s)
        deployments = ctx.store.deployments(service=service, start=view.start, end=view.end)
        scope = service or "all services"
        return [
            html.H2(f"DORA · {scope} · last {window}"),
            dora_tiles(dora_entry(ctx.report(view.at), service, window), window),
            deploys_chart(deployments, view, "deployments-chart"),
            html.H2(f"Deployments in {view.label} ({len(deployments)})"),
            deploys_table("deployments-table", deployments, view.tz, view.label, view.filters.query_string()),
        ]
