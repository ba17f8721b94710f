"""Reports: every report run the store records (newest first) with its kind, period, build
time, SHA-256 and delivery status, and a download of its archived PDF
(``dashboard/report_files.py``). One card per run, so the page fits a phone's width.

Editors (and admins) also get a form to build, or build and mail, one report of a kind
and period through the context's report builder (``dashboard/report_builder.py``: the
path ``sloboard report`` takes, under the lock the scheduler's builds take), audited with
their user name. A dashboard started without a builder says so instead of the form.
Viewers see no form, and their callbacks are refused on the server
(``callback_requires``: 403), whatever a client sends.
"""

from __future__ import annotations

import dash
import flask_login
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.auth.roles import callback_requires, has_role
from dashboard.components import format as fmt
from dashboard.components.empty import empty_state
from dashboard.context import current
from dashboard.report_files import archived_file, download_href
from sloboard.errors import ReportBusyError, SloboardError

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · sloboard", order=4)

# What each delivery status means to a reader (models.report_runs lists them).
DELIVERY = {"none": "not mailed", "pending": "mail pending", "sending": "mail sending", "sent": "mailed",
            "failed": "mail failed, will retry", "superseded": "not mailed: a newer build replaced it"}
_BADGE = {"sent": "badge-good", "failed": "badge-bad", "pending": "badge-warn", "sending": "badge-warn"}
EDITOR = "editor"  # the lowest role that may build or send a report
KINDS = {"weekly": "Weekly executive", "monthly": "Monthly compliance", "quarterly": "Quarterly review"}
UNAVAILABLE = ("Building reports is not available in this dashboard: it was started without the report "
               "builder (`sloboard serve`, `sloboard run` and `gunicorn 'dashboard.wsgi:app'` wire it). "
               "`sloboard report weekly` (or monthly, quarterly) builds one.")
# The SHA-256 wraps anywhere, so 64 hex digits never widen a phone's page.
_SHA_STYLE = {"fontFamily": "ui-monospace, monospace", "wordBreak": "break-all", "fontSize": "12px"}


def layout(**_query):
    ctx = current()
    tz = ctx.settings.timezone
    return html.Div([
        html.H1("Reports"),
        html.P(f"Every report built, newest first; times in {tz}. Each PDF's SHA-256 is also in the audit log "
               "(`sloboard audit verify` checks both).", className="table-caption"),
        *([_builder() if ctx.reports is not None else _unavailable()] if has_role(EDITOR) else []),
        html.Div(_cards(ctx), id="reports-list"),
    ])


def _cards(ctx) -> list:
    runs = ctx.store.report_runs(limit=None)
    tz = ctx.settings.timezone
    return [_card(run, tz, archived_file(ctx.settings.data_dir, run.path) is not None) for run in runs] or [
        empty_state("No reports built yet", "Build one with `sloboard report monthly` (or weekly, quarterly); "
                    "`sloboard run` builds them on schedule.", "reports-empty")]


def _builder() -> html.Div:
    """The editor's form: a kind, a period (empty: the last complete one), Build or Build and send."""
    return html.Div(
        [
            html.H2("Build a report", style={"marginTop": 0}),
            html.Div([
                html.Label([html.Span("Kind", className="filter-label"),
                            dcc.Dropdown(id="report-kind", options=[{"label": v, "value": k} for k, v in KINDS.items()],
                                         value="weekly", clearable=False, searchable=False,
                                         style={"minWidth": "210px"})], className="filter"),
                html.Label([html.Span("Period", className="filter-label"),
                            dcc.Input(id="report-period", type="text", className="filter-search")],
                           className="filter"),
                html.Button("Build", id="report-build", className="export"),
                html.Button("Build and send", id="report-send", className="export",
                            title="Build, archive and mail it to reports.recipients of this kind"),
            ], className="filter-bar"),
            html.P(id="report-period-hint", className="meta"),
            dcc.Loading(html.Div(id="report-action-result"), type="dot"),
        ],
        className="panel", id="report-builder",
    )


def _unavailable() -> html.P:
    return html.P(UNAVAILABLE, className="panel meta", id="report-builder-unavailable")


def _card(run, tz: str, on_disk: bool) -> html.Div:
    built = fmt.when(run.finished_at or run.started_at, tz)
    delivery = DELIVERY.get(run.delivery_status, run.delivery_status)
    if run.delivery_error:
        delivery += f" ({run.delivery_error})"
    if run.status != "ok":
        action = html.Span(f"build failed: {run.error or 'no reason recorded'}", className="badge badge-bad")
    elif on_disk:
        action = html.A("⬇ Download PDF", href=download_href(run.id), download=f"{run.kind}-{run.period}.pdf",
                        id=f"report-download-{run.id}", className="report-download")
    else:
        action = html.Span("PDF missing from the archive", className="badge badge-bad")
    return html.Div(
        [
            html.H3(f"{run.kind.capitalize()} · {run.period}", style={"margin": "10px 0 4px"}),
            html.Div([_badge(run.delivery_status, delivery), f" built {built}"]),
            html.Div(["SHA-256 ", html.Span(run.sha256 or "–", style=_SHA_STYLE, className="report-sha")]),
            html.Div(action, style={"margin": "6px 0"}),
        ],
        className="panel report-run", id=f"report-run-{run.id}",
    )


def _badge(status: str, words: str) -> html.Span:
    return html.Span(words, className=f"badge {_BADGE.get(status, 'badge-unknown')}")


def register_callbacks(app) -> None:
    @app.callback(Output("report-period", "placeholder"), Output("report-period-hint", "children"),
                  Input("report-kind", "value"))
    @callback_requires(EDITOR)
    def period_hint(kind):
        ctx = current()
        if kind not in KINDS or ctx.reports is None:
            raise PreventUpdate
        default = ctx.reports.last_complete(kind, ctx.settings.timezone, ctx.clock())
        return default, (f"Empty: the last complete period, {default}. Periods are calendar periods in "
                         f"{ctx.settings.timezone}; a rebuilt period replaces its PDF in the archive.")

    @app.callback(
        Output("report-action-result", "children"), Output("reports-list", "children"),
        Input("report-build", "n_clicks"), Input("report-send", "n_clicks"),
        State("report-kind", "value"), State("report-period", "value"),
        running=[(Output("report-build", "disabled"), True, False), (Output("report-send", "disabled"), True, False)],
        prevent_initial_call=True,
    )
    @callback_requires(EDITOR)  # on the server: a viewer's POST is refused (403) and builds nothing
    def build(_build, _send, kind, period_text):
        ctx = current()
        return _make(ctx, kind, period_text, send=dash.ctx.triggered_id == "report-send"), _cards(ctx)


def _make(ctx, kind: str, period_text: str | None, *, send: bool) -> html.Div:
    """Build (and with ``send`` mail) one report; what happened, in one line."""
    if ctx.reports is None:
        return html.Div(UNAVAILABLE, className="badge badge-unknown", id="report-action-unavailable")
    user = flask_login.current_user
    actor = f"user:{user.name}" if user.is_authenticated else "anonymous"
    try:
        run = ctx.reports.make(ctx.store, ctx.slos, ctx.settings, kind, (period_text or "").strip() or None,
                               now=ctx.clock(), send=send, actor=actor)
    except ReportBusyError as exc:  # the scheduler, or another editor, is building this kind now
        return html.Div(f"{exc}; try again in a minute", className="badge badge-warn", id="report-action-busy")
    except SloboardError as exc:
        return html.Div(str(exc), className="badge badge-bad", id="report-action-error")
    mailed = ""
    if send:
        mailed = (f"; mailed to {', '.join(run.recipients)}" if run.delivery_status == "sent" else
                  f"; not mailed ({run.delivery_error}), retried by the scheduler")
    return html.Div(
        [html.Span("built", className="badge badge-good"),
         f" {KINDS[kind]} report {run.period}, SHA-256 {run.sha256[:16]}…{mailed} ",
         html.A("Download PDF", href=download_href(run.id), className="report-download")],
        id="report-action-done",
    )
