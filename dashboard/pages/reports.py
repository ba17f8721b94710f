"""Reports: every report run the store records (newest first) with its kind, period, build
time, SHA-256 and delivery status, and a download of its archived PDF
(``dashboard/report_files.py``). One card per run, so the page fits a phone's width."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import format as fmt
from dashboard.components.empty import empty_state
from dashboard.context import current
from dashboard.report_files import archived_file, download_href

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · sloboard", order=4)

# What each delivery status means to a reader (models.report_runs lists them).
DELIVERY = {"none": "not mailed", "pending": "mail pending", "sending": "mail sending", "sent": "mailed",
            "failed": "mail failed, will retry", "superseded": "not mailed: a newer build replaced it"}
_BADGE = {"sent": "badge-good", "failed": "badge-bad", "pending": "badge-warn", "sending": "badge-warn"}
# The SHA-256 wraps anywhere, so 64 hex digits never widen a phone's page.
_SHA_STYLE = {"fontFamily": "ui-monospace, monospace", "wordBreak": "break-all", "fontSize": "12px"}


def layout(**_query):
    ctx = current()
    runs = ctx.store.report_runs(limit=None)
    tz = ctx.settings.timezone
    body = [_card(run, tz, archived_file(ctx.settings.data_dir, run.path) is not None) for run in runs] or [
        empty_state("No reports built yet", "Build one with `sloboard report monthly` (or weekly, quarterly); "
                    "`sloboard run` builds them on schedule.", "reports-empty")]
    return html.Div([
        html.H1("Reports"),
        html.P(f"Every report built, newest first; times in {tz}. Each PDF's SHA-256 is also in the audit log "
               "(`sloboard audit verify` checks both).", className="table-caption"),
        html.Div(body, id="reports-list"),
    ])


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
    """Nothing to wire: the page is drawn once per visit from the store."""
