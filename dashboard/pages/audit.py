"""Audit (admins only): the chain's state as ``sloboard audit verify`` finds it (chain,
anchor, target columns, covered records, report archive), then the log itself, newest
first, filtered by actor, action, target (from its start, ``audit.target_of``) and time,
50 entries a page.

The state is computed when the page opens and on "Check" (against an anchor pasted from
``sloboard audit anchor``, which is how a log cut from its end shows); the filters and the
paging only read entries (``Store.audit_search``). Every callback and the page's path are
refused below the admin role (``register_page(..., role="admin")``, ``dashboard.auth.roles``).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from dashboard.auth.roles import callback_requires, has_role, not_allowed
from dashboard.components import format as fmt
from dashboard.components.tables import column, data_table
from dashboard.context import current
from sloboard.audit_verify import verify
from sloboard.store.audit import canonical_json, target_of
from sloboard.store.audit_check import Anchor
from sloboard.store.audit_query import AuditFilter
from sloboard.timeparse import parse_time

ROLE = "admin"
dash.register_page(__name__, path="/audit", name="Audit", title="Audit · sloboard", order=5, role=ROLE)

PAGE_SIZE = 50
# Filter fields: (query key and id suffix, label, placeholder)
FIELDS = (("actor", "Actor", "user:ana, cli:root, token:ci"), ("action", "Action", "login, deployment.stored"),
          ("target", "Target", "starts with: user:ana, slo:, deployment:checkout"),
          ("from", "From", "2026-12-01 or now-7d"), ("to", "To", "now"))
COLUMNS = [column("id", "#", "numeric"), column("at", "Time"), column("actor", "Actor"),
           column("action", "Action"), column("target", "Target"), column("payload", "Details"),
           column("hash", "Hash")]


def layout(**query):
    if not has_role(ROLE):
        return not_allowed(ROLE)
    tz = current().settings.timezone
    return html.Div([
        html.H1("Audit log"),
        html.P(f"Every login, user and token change, deployment, spec change, report, gate decision and collector "
               f"failure, hash-chained; times in {tz}.", className="table-caption"),
        html.Div(
            [html.Div(id="audit-status"),
             html.Details([
                 html.Summary("Check against an exported anchor"),
                 html.P("Paste the JSON that `sloboard audit anchor` printed: a log trimmed after it no longer "
                        "holds the anchored entry.", className="meta"),
                 dcc.Textarea(id="audit-anchor", placeholder='{"hash": "…", "id": 42}', className="audit-anchor",
                              style={"width": "100%", "fontFamily": "ui-monospace, monospace"}),
                 html.Button("Check", id="audit-check", className="export"),
             ])],
            className="panel",
        ),
        html.Div([_field(key, label, hint, query.get(key, "")) for key, label, hint in FIELDS], className="filter-bar"),
        dcc.Store(id="audit-page", data=1),
        html.Div([html.Button("‹ Newer", id="audit-newer", className="export"),
                  html.Span(id="audit-page-info", className="meta", style={"margin": "0 12px"}),
                  html.Button("Older ›", id="audit-older", className="export")], className="audit-pager"),
        html.Div(id="audit-entries"),
    ])


def _field(key: str, label: str, hint: str, value: str) -> html.Label:
    return html.Label([html.Span(label, className="filter-label"),
                       dcc.Input(id=f"audit-{key}", type="text", value=value, placeholder=hint, debounce=True,
                                 className="filter-search")], className="filter")


def register_callbacks(app) -> None:
    @app.callback(Output("audit-status", "children"), Input("audit-check", "n_clicks"), State("audit-anchor", "value"))
    @callback_requires(ROLE)
    def status(_clicks, anchor_text):
        ctx = current()
        anchor, problem = _anchor(anchor_text)
        if problem:
            return html.P(f"Anchor: {problem}", className="badge badge-bad", id="audit-anchor-error")
        result = verify(ctx.store, ctx.settings.data_dir, anchor=anchor)
        head = (f"head: entry {result.head.id}, hash {result.head.hash}" if result.head is not None
                else "the log is empty")
        verdict = ("intact" if result.ok else "problems found") + (" (checked against the anchor)" if anchor else "")
        return [
            html.H2(["Chain ", html.Span(verdict, className=f"badge {'badge-good' if result.ok else 'badge-bad'}")]),
            html.P(f"{result.entries} entries walked; {head}", className="meta", id="audit-head"),
            html.Ul([html.Li(f.text, style=None if f.ok else {"color": "var(--bad)", "fontWeight": 600})
                     for f in result.findings], id="audit-findings"),
        ]

    @app.callback(
        Output("audit-entries", "children"), Output("audit-page-info", "children"), Output("audit-page", "data"),
        Output("audit-newer", "disabled"), Output("audit-older", "disabled"),
        *[Input(f"audit-{key}", "value") for key, _, _ in FIELDS],
        Input("audit-newer", "n_clicks"), Input("audit-older", "n_clicks"), State("audit-page", "data"),
    )
    @callback_requires(ROLE)
    def entries(actor, action, target, start, end, _newer, _older, page):
        ctx = current()
        step = {"audit-older": 1, "audit-newer": -1}.get(dash.ctx.triggered_id, None)
        page = 1 if step is None else (page or 1) + step  # a new filter starts at the newest page
        try:
            where = AuditFilter(actor=(actor or "").strip(), action=(action or "").strip(),
                                target=(target or "").strip(), start=_time("From", start, ctx.at()),
                                end=_time("To", end, ctx.at()))
        except ValueError as exc:
            return html.P(str(exc), className="badge badge-bad", id="audit-filter-error"), "", page, True, True
        found = ctx.store.audit_search(where, page=page, page_size=PAGE_SIZE)
        tz = ctx.settings.timezone
        rows = [{"id": e.id, "at": fmt.when(e.at, tz), "actor": e.actor, "action": e.action,
                 "target": target_of(e.action, e.payload) or "", "payload": _details(e.payload),
                 "hash": e.hash[:12]}
                for e in found.entries]
        table = data_table("audit-table", COLUMNS, rows, empty_title="No audit entries match",
                           empty_hint="Clear a filter or widen the time range.", page_size=PAGE_SIZE)
        info = f"page {found.page} of {found.pages} · {found.matching} matching entries"
        return table, info, found.page, found.page == 1, found.page == found.pages


def _anchor(text: str | None) -> tuple[Anchor | None, str | None]:
    if not text or not text.strip():
        return None, None
    try:
        return Anchor.from_json(text), None
    except ValueError as exc:
        return None, str(exc)


def _time(label: str, text: str | None, now: float) -> float | None:
    if not text or not text.strip():
        return None
    try:
        return float(parse_time(text, now))
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from exc


def _details(payload: dict) -> str:
    """The payload without its target (a column of its own), as compact JSON."""
    return canonical_json({k: v for k, v in payload.items() if k != "target"})
