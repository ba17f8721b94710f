"""SLO detail: SLI against the objective, error-budget burn-down with forecast, burn rate
per alert window with thresholds, deployments and what they burned, the spec and policy."""

from __future__ import annotations

from urllib.parse import unquote

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from dashboard.components import format as fmt
from dashboard.components.empty import empty_state, not_found
from dashboard.components.figures import COLORS, deploy_markers, graph, hover, styled, timed
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.levels import BAD, GOOD, UNKNOWN, WARN, alert_level, policy_level
from dashboard.components.palette import LEVEL_TEXT
from dashboard.components.slo_table import RATE_FORMAT, percent_format
from dashboard.components.tables import data_table, link_href
from dashboard.components.tiles import tile, tiles
from dashboard.components.view import View, read_view, view_inputs
from dashboard.context import current
from sloboard.domain import SLO, format_duration
from sloboard.engine import forecast_window
from sloboard.reads.status import SLOEntry
from sloboard.reads.history import SLOHistory, slo_history, top_burners

PAGE = "slo"
NO_SAMPLES_HINT = ("Run `sloboard collect` (or `sloboard demo`), then check Collection health for failed "
                   "queries; the SLI query may also match no series in Prometheus.")


def title(slo_id=None):
    return f"{unquote(slo_id or '')} · SLO · sloboard"


dash.register_page(__name__, path_template="/slo/<slo_id>", name="SLO", title=title, order=10)


def layout(slo_id=None, **query):
    ctx = current()
    slo_id = unquote(slo_id or "")
    slo = ctx.slo(slo_id)
    if slo is None:
        return not_found("Unknown SLO", f"No SLO with id {slo_id!r}",
                         f"Known SLOs ({len(ctx.slos)}):" if ctx.slos else "No SLO specs are loaded.",
                         [(s.id, link_href("slo", s.id)) for s in sorted(ctx.slos, key=lambda s: s.id)],
                         element_id="slo-unknown")
    filters = Filters.parse(**query)
    return html.Div(
        [
            dcc.Store(id="slo-id", data=slo.id),
            html.H1(slo.id),
            html.P(slo.description, className="subtitle") if slo.description else None,
            html.P(
                [
                    "Service ", dcc.Link(slo.service, href=f"/service/{slo.service}{filters.query_string()}"),
                    f" · team {slo.team or '–'} · objective {fmt.objective(slo.objective)} over {slo.window.label}"
                    f" · budgeting {slo.budgeting.value}",
                ],
                className="meta",
            ),
            filter_bar(PAGE, filters,
                       range_note="The burn-down always spans the SLO window; the other charts follow the time range."),
            html.Div(id="slo-body"),
        ]
    )


def status_tiles(status: SLOEntry, slo: SLO, tz: str, at: int) -> html.Div:
    sli = status.sli
    remaining = status.budget_remaining
    policy = policy_level(status.policy)
    label = format_duration(forecast_window(slo))
    rate = status.forecast_burn_rate
    exhaustion = status.exhaustion_at
    forecast_detail = f"forecast at the {label} burn rate"
    if remaining is None:
        forecast_text, forecast_level = fmt.NO_DATA, UNKNOWN
    elif exhaustion is None:
        forecast_text, forecast_level = "not at this rate", GOOD
    elif exhaustion <= at:
        forecast_text, forecast_level = "exhausted", BAD
    else:
        forecast_text, _, clock_time = fmt.when(exhaustion, tz).partition(" ")
        forecast_detail = f"at {clock_time} {tz}, " + forecast_detail
        forecast_level = BAD if exhaustion - at < 3 * 86400 else WARN
    completeness = status.data_completeness
    return tiles(
        [
            tile("SLI", fmt.pct(sli, 3), UNKNOWN if sli is None else GOOD if sli >= slo.objective else BAD,
                 f"objective {fmt.objective(slo.objective)}", tile_id="tile-sli"),
            tile("Budget remaining", fmt.pct(remaining, 1), policy,
                 "no events in the window" if remaining is None else f"{fmt.pct(status.budget_consumed, 1)} consumed",
                 tile_id="tile-budget"),
            tile(f"Burn rate {label}", fmt.NO_DATA if rate is None else fmt.rate(rate),
                 UNKNOWN if rate is None else GOOD if rate <= 1 else WARN,
                 "1× spends the budget exactly over the window", tile_id="tile-burn"),
            tile("Budget exhausted", forecast_text, forecast_level, forecast_detail,
                 tile_id="tile-forecast"),
            tile("Alerts", alert_level(status.alerts).word, alert_level(status.alerts),
                 f"{sum(a.firing for a in status.alerts)} of {len(status.alerts)} firing", tile_id="tile-alerts"),
            tile("Data completeness", fmt.pct(completeness, 1),
                 UNKNOWN if completeness is None else GOOD if completeness >= 0.99 else WARN,
                 "steps with samples in the window", tile_id="tile-data"),
        ]
    )


def sli_figure(history: SLOHistory, slo: SLO, view: View):
    tz = view.tz
    if not history.good_ratio.has_data:
        return empty_state("No SLI samples in this time range", NO_SAMPLES_HINT, element_id="slo-sli-empty")
    ratio = history.good_ratio
    fig = go.Figure(go.Scatter(**timed(ratio.ts, tz), y=ratio.values * 100, mode="lines", name="good events",
                               line={"color": COLORS["line"]}, connectgaps=False,
                               hovertemplate=hover(tz, "%{y:.3f}% good", "good events")))
    fig.add_hline(y=slo.objective * 100, line={"color": COLORS["objective"], "dash": "dash"},
                  annotation_text=f"objective {fmt.objective(slo.objective)}", annotation_position="bottom right")
    finite = ratio.values[~np.isnan(ratio.values)] * 100
    low = min(float(finite.min()), slo.objective * 100)
    span = max(100 - low, 0.01)
    deploy_markers(fig, [i.deployment for i in history.impacts], low - span * 0.08, tz)
    fig.update_yaxes(range=[low - span * 0.15, 100 + span * 0.05])
    return graph(styled(fig, f"Good events per {fmt.seconds(history.bucket_s)} vs objective",
                        "good / total (%)", tz, large=view.wall), "slo-sli")


def burndown_figure(history: SLOHistory, status: SLOEntry, slo: SLO, view: View):
    """The burn-down over the SLO window ending at ``history.at``; the forecast of exhaustion
    (from the status now, ``view.at``) only when the chart ends now."""
    tz, at = view.tz, view.at
    burndown = history.burndown
    if not burndown.has_data:
        return empty_state("No error budget to draw", "The SLO window holds no events yet. " + NO_SAMPLES_HINT,
                           element_id="slo-burndown-empty")
    keep = ~np.isnan(burndown.values)
    fig = go.Figure(go.Scatter(**timed(burndown.ts[keep], tz), y=burndown.values[keep] * 100, mode="lines",
                               name="budget remaining", line={"color": COLORS["line"]},
                               hovertemplate=hover(tz, "%{y:.1f}% remaining", "budget")))
    exhaustion = status.exhaustion_at
    window_s = at - history.window_start
    remaining = status.budget_remaining
    if history.at == at and remaining is not None and exhaustion is not None and at < exhaustion <= at + window_s:
        fig.add_trace(go.Scatter(**timed([at, exhaustion], tz), y=[remaining * 100, 0], mode="lines",
                                 name="forecast", line={"color": COLORS["forecast"], "dash": "dot"},
                                 hovertemplate=hover(tz, "%{y:.1f}% forecast", "forecast")))
    fig.add_hline(y=0, line={"color": COLORS["objective"], "dash": "dash"}, annotation_text="budget exhausted",
                  annotation_position="bottom left")
    in_window = [i.deployment for i in history.impacts if i.deployment.started_at.timestamp() > history.window_start]
    deploy_markers(fig, in_window, 100, tz)
    return graph(styled(fig, f"Error budget burn-down ({slo.window.label} window)",
                        "budget remaining (%)", tz, large=view.wall), "slo-burndown")


def burn_rate_figures(history: SLOHistory, status: SLOEntry, view: View) -> html.Div:
    tz = view.tz
    if not status.alerts:
        return empty_state("No burn-rate alerts defined",
                           "Add alert windows to the spec, or rely on the default SRE workbook table.",
                           element_id="slo-burn-empty")
    charts = []
    for n, alert in enumerate(status.alerts):
        fig = go.Figure()
        for label, color in ((alert.long, COLORS["line"]), (alert.short, COLORS["short"])):
            series = history.burn_rates.get(label)
            if series is not None and series.has_data:
                fig.add_trace(go.Scatter(**timed(series.ts, tz), y=series.values, mode="lines",
                                         name=f"{label} window", line={"color": color, "width": 1.5},
                                         hovertemplate=hover(tz, "%{y:.2f}×", label)))
        fig.add_hline(y=alert.threshold, line={"color": COLORS["objective"], "dash": "dash"},
                      annotation_text=f"threshold {alert.threshold:g}×", annotation_position="top left")
        state = "FIRING" if alert.firing else "not firing"
        chart_title = f"{alert.severity} alert {alert.long}/{alert.short} · {state}"
        if not fig.data:
            charts.append(empty_state(f"No burn rate for {alert.long}/{alert.short}", NO_SAMPLES_HINT,
                                      element_id=f"slo-burn-{n}-empty"))
            continue
        charts.append(graph(styled(fig, chart_title, "burn rate (×)", tz, height=260, large=view.wall), f"slo-burn-{n}"))
    return html.Div(charts, className="grid-2")


def alerts_table(status: SLOEntry):
    rows = [
        {"severity": a.severity, "windows": f"{a.long} / {a.short}", "threshold": a.threshold,
         "long_rate": a.long_burn_rate, "short_rate": a.short_burn_rate,
         "state": "✕ firing" if a.firing else ("? no data" if a.long_burn_rate is None else "✓ quiet")}
        for a in status.alerts
    ]
    columns = [
        {"id": "severity", "name": "Severity"},
        {"id": "windows", "name": "Long / short window"},
        {"id": "threshold", "name": "Threshold", "type": "numeric", "format": RATE_FORMAT},
        {"id": "long_rate", "name": "Long burn rate", "type": "numeric", "format": RATE_FORMAT},
        {"id": "short_rate", "name": "Short burn rate", "type": "numeric", "format": RATE_FORMAT},
        {"id": "state", "name": "State"},
    ]
    styles = [{"if": {"filter_query": '{state} contains "firing"', "column_id": "state"},
               "color": LEVEL_TEXT["bad"], "fontWeight": "600"}]
    return data_table("slo-alerts-table", columns, rows, empty_title="No alerts defined",
                      empty_hint="Add alert windows to the spec.", style_data_conditional=styles)


def deploys_table(history: SLOHistory, tz: str, range_label: str):
    burners = {id(i): rank for rank, i in enumerate(top_burners(history.impacts), start=1)}
    rows = [
        {
            "started": fmt.when(i.deployment.started_at.timestamp(), tz),
            "version": i.deployment.version,
            "status": i.deployment.status.value.replace("_", " "),
            "duration": fmt.seconds(i.deployment.duration_s),
            "consumed": None if i.budget_consumed is None else i.budget_consumed * 100,
            "burn_rate": i.burn_rate,
            "rank": f"#{burners[id(i)]}" if id(i) in burners else "",
        }
        for i in sorted(history.impacts, key=lambda i: i.deployment.started_at, reverse=True)
    ]
    columns = [
        {"id": "started", "name": f"Started ({tz})"},
        {"id": "version", "name": "Version"},
        {"id": "status", "name": "Status"},
        {"id": "duration", "name": "Duration"},
        {"id": "consumed", "name": "Budget consumed in the hour after", "type": "numeric", "format": percent_format(2)},
        {"id": "burn_rate", "name": "Burn rate in that hour", "type": "numeric", "format": RATE_FORMAT},
        {"id": "rank", "name": "Top burner"},
    ]
    styles = [{"if": {"filter_query": '{rank} != ""', "column_id": c}, "backgroundColor": "#fff1e5"}
              for c in ("rank", "consumed")]
    return data_table("slo-deploys-table", columns, rows, empty_title=f"No deployments in {range_label}",
                      empty_hint="Record them with `sloboard deploy record`, the deployments API, or a "
                                 "deployments_total counter in Prometheus.",
                      style_data_conditional=styles,
                      caption="Budget consumed is the drop of the burn-down curve in the hour after the deploy "
                              "started; deploys before the SLO window have none.")


def spec_panel(ctx, slo: SLO, status: SLOEntry, tz: str) -> html.Div:
    versions = ctx.store.slo_versions(slo.id)
    latest = versions[-1] if versions else None
    source = slo.source
    where = f"{source.path}:{source.line}" if source else "unknown file"
    policy = policy_level(status.policy)
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Error-budget policy"),
                    html.P([html.Span(f"{policy.icon} {policy.word}", className=f"badge badge-{policy.name}"),
                            f" Deploys freeze below {fmt.pct(slo.policy.freeze_below, 0)} budget remaining; "
                            f"warning below {fmt.pct(slo.policy.warn_below, 0)}."], id="slo-policy"),
                ]
            ),
            html.H3("Spec"),
            html.P(
                f"{where} · {source.format if source else '?'} · "
                + (f"version {latest.version} of {len(versions)}, loaded {fmt.when(latest.loaded_at, tz)} {tz}"
                   if latest else "not yet synced to the store (run `sloboard collect`)")
                + f" · sha256 {slo.spec_hash[:12]}",
                className="meta", id="slo-spec-meta",
            ),
            html.Pre(slo.spec_text or "(spec text not available)", className="spec", id="slo-spec"),
        ],
        className="panel",
    )


def gate_override_notice(ctx, slo: SLO, tz: str) -> html.Div | None:
    """An admin's override of the deploy gate for this SLO's service, while it lasts."""
    active = ctx.store.gate_overrides(service=slo.service, active_at=ctx.clock())
    if not active:
        return None
    o = active[0]
    return html.Div(html.P([html.Span("⚑ Deploy gate overridden", className="badge badge-warn"),
                            f" {slo.service} may deploy whatever its SLOs say, by {o.created_by} until "
                            f"{fmt.when(o.expires_at, tz)} {tz}: {o.reason}"]),
                    className="panel", id="slo-gate-override")


def register_callbacks(app) -> None:
    @app.callback(
        Output("slo-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
        State("slo-id", "data"),
    )
    def render(values, ids, starts, ends, browser, _tick, slo_id):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        slo = ctx.slo(slo_id)
        tz = view.tz
        status = ctx.slo_status(slo.id, view.at)
        history = slo_history(ctx.store, slo, view.end, view.span_s, step_s=ctx.step_s)
        return [
            gate_override_notice(ctx, slo, tz),
            status_tiles(status, slo, tz, view.at),
            html.Div([sli_figure(history, slo, view), burndown_figure(history, status, slo, view)],
                     className="grid-2"),
            html.H2("Burn rate per alert window"),
            burn_rate_figures(history, status, view),
            html.H3("Alert state now"),
            alerts_table(status),
            html.H2(f"Deployments of {slo.service} in {view.label}"),
            deploys_table(history, tz, view.label),
            spec_panel(ctx, slo, status, tz),
        ]
