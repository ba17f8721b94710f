"""One service: the four golden signals, its SLOs, its DORA metrics and its deployments."""

from __future__ import annotations

from urllib.parse import unquote

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from dashboard.components import format as fmt
from dashboard.components.deploys import deploys_table
from dashboard.components.dora import dora_entry, dora_tiles, dora_window
from dashboard.components.empty import empty_state, not_found
from dashboard.components.figures import deploy_markers, graph, hover, styled, timed
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.slo_table import slo_table
from dashboard.components.tables import link_href, register_link_table
from dashboard.components.view import View, read_view, view_inputs
from dashboard.context import current
from sloboard.domain import parse_duration
from sloboard.engine.buckets import bucket_seconds
from sloboard.reads.golden_signals import golden_signals

PAGE = "service"
# (title, y axis, signals drawn together, factor to the axis unit, hover value)
CHARTS = (
    ("Latency", "seconds", ("latency_p50", "latency_p95", "latency_p99"), 1.0, "%{y:.3f} s"),
    ("Traffic", "requests per second", ("traffic",), 1.0, "%{y:,.1f} req/s"),
    ("Errors", "5xx share (%)", ("error_ratio",), 100.0, "%{y:.3f}%"),
    ("Saturation", "busiest instance (%)", ("saturation",), 100.0, "%{y:.1f}%"),
)


def title(name=None):
    name = unquote(name or "")
    ctx = current()
    return f"{name} · service · sloboard" if name in ctx.known_services(ctx.at()) else "Unknown service · sloboard"


dash.register_page(__name__, path_template="/service/<name>", name="Service", title=title, order=11)


def layout(name=None, **query):
    name = unquote(name or "")
    ctx = current()
    known = ctx.known_services(ctx.at())
    if name not in known:
        return not_found("Unknown service", f"No service named {name!r}",
                         f"No SLO spec and no deployment names it. Known services ({len(known)}):" if known
                         else "No SLO specs are loaded and no deployments are recorded.",
                         [(s, link_href("service", s)) for s in known], element_id="service-unknown")
    return html.Div(
        [
            dcc.Store(id="service-name", data=name),
            html.H1(f"Service {name}"),
            filter_bar(PAGE, Filters.parse(**query),
                       range_note="Golden signals are averaged per chart point; DORA covers 7 or 30 days."),
            html.Div(id="service-body"),
        ]
    )


def golden_charts(ctx, service: str, view: View, deployments) -> html.Div:
    tz = view.tz
    bucket = bucket_seconds(view.span_s, ctx.step_s, 300)
    collect = ctx.settings.collect
    raw_s, hourly_s = (int(parse_duration(d).total_seconds())
                       for d in (collect.golden_raw_retention, collect.golden_hourly_retention))
    signals = golden_signals(ctx.store, service, view.start, view.end, bucket, raw_retention_s=raw_s,
                             hourly_retention_s=hourly_s, now=ctx.at())
    if not any(s.has_data for s in signals.values()):
        return empty_state(f"No golden signals for {service}",
                           "Golden signals come from the queries in queries.yaml; run `sloboard collect` and check "
                           "that Prometheus has http_requests_total and the latency histogram for this service.",
                           element_id="service-golden-empty")
    charts = []
    for chart_title, y_title, names, scale, value in CHARTS:
        fig = go.Figure()
        for name in names:
            series = signals[name]
            if series.has_data:
                label = name.replace("latency_", "")
                fig.add_trace(go.Scatter(**timed(series.ts, tz), y=series.values * scale, mode="lines", name=label,
                                         connectgaps=False, hovertemplate=hover(tz, value, label)))
        if not fig.data:
            charts.append(empty_state(f"No {chart_title.lower()} data", "This signal's query returned nothing.",
                                      element_id=f"service-{chart_title.lower()}-empty"))
            continue
        if chart_title == "Latency":
            top = max(float(np.nanmax(signals[n].values)) for n in names if signals[n].has_data)
            deploy_markers(fig, deployments, top * 1.05, tz)
        charts.append(graph(styled(fig, f"{chart_title} (mean per {fmt.seconds(bucket)})", y_title, tz,
                                   height=280, large=view.wall), f"service-{chart_title.lower()}"))
    return html.Div(charts, className="grid-2")


def register_callbacks(app) -> None:
    register_link_table(app, "service-slo-table")
    register_link_table(app, "service-deploys-table")

    @app.callback(
        Output("service-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
        State("service-name", "data"),
    )
    def render(values, ids, starts, ends, browser, _tick, service):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        report = ctx.report(view.at)
        slos = [s for s in report.slos if s.service == service]
        deployments = ctx.store.deployments(service=service, start=view.start, end=view.end)
        window = dora_window(view.span_s)
        query = view.filters.query_string()
        return [
            html.H2("Golden signals"),
            golden_charts(ctx, service, view, deployments),
            html.H2(f"SLOs of {service}"),
            slo_table("service-slo-table", slos, empty_title=f"No SLOs for {service}",
                      empty_hint=f"Add a spec with service: {service} to {ctx.settings.specs_dir}.", query=query),
            html.H2(f"DORA · last {window}"),
            dora_tiles(dora_entry(report, service, window), window),
            html.H2(f"Deployments in {view.label} ({len(deployments)})"),
            deploys_table("service-deploys-table", deployments, view.tz, view.label, query),
        ]
