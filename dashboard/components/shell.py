"""The frame around every page: header with navigation, the data-freshness banner, the
page container, and the ``dcc.Location`` the filters keep the query string in.

- ``url`` (refresh=False) mirrors the filters into the query string without reloading.
- ``browser`` holds the browser's IANA time zone and window width, read once by a
  clientside callback; pages show times in that zone (``view.py``).
"""

from __future__ import annotations

import dash
import flask
from dash import ALL, Input, Output, State, dcc, html


from ..auth.roles import has_role
from ..context import current
from . import format as fmt
from .filters import NAV, tick_id
from .view import BROWSER, display_zone


def shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id=BROWSER),
            html.Header(
                [
                    dcc.Link([html.Span("◎", className="brand-mark"), " sloboard"], href="/", className="brand"),
                    html.Nav([*(dcc.Link(label, href=path, id=f"nav-{name}", className="nav-link")
                                for name, path, label in NAV), *_admin_links()]),
                    html.Div(id="as-of", className="as-of"),
                ],
                className="header",
            ),
            html.Div(id="banner", role="status"),
            html.Main(dash.page_container, className="main"),
        ],
        className="app",
    )


def _admin_links() -> list:
    """The Audit page's link, for admins only (the page itself refuses everyone else).
    Dash also lays the shell out once outside any request, to check it: no link then."""
    if not flask.has_request_context() or not has_role("admin"):
        return []
    return [dcc.Link("Audit", href="/audit", id="nav-audit", className="nav-link")]


def register_callbacks(app) -> None:
    app.clientside_callback(
        """
        function (_pathname, known) {
            if (known) { return window.dash_clientside.no_update; }
            let zone = null;
            try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
            return {tz: zone || "UTC", width: window.innerWidth};
        }
        """,
        Output(BROWSER, "data"),
        Input("url", "pathname"),
        State(BROWSER, "data"),
    )

    @app.callback(
        Output("banner", "children"),
        Output("as-of", "children"),
        Input("url", "pathname"),
        Input(tick_id(ALL), "n_intervals"),
        Input(BROWSER, "data"),
    )
    def show_freshness(_pathname, _ticks, browser):
        ctx = current()
        at = ctx.at()
        tz = display_zone((browser or {}).get("tz"), ctx.settings.timezone)
        state = ctx.freshness(at)
        as_of = f"as of {fmt.when(at, tz)} {tz}"
        if state.newest is not None:
            as_of += f" · newest sample {fmt.when(state.newest, tz)}"
        if not state.stale:
            return None, as_of
        return (
            html.Div(
                [
                    html.Strong("⚠ Data may be stale. "),
                    html.Span("; ".join(state.reasons) + ". "),
                    html.Span("Run `sloboard collect`, or see "),
                    dcc.Link("Collection health", href="/collection"),
                    html.Span("."),
                ],
                className="banner banner-stale",
                id="stale-banner",
            ),
            as_of,
        )
