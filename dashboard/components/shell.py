"""The frame around every page: header with navigation, the data-freshness banner, the
page container, and the two ``dcc.Location`` components the filters and links use.

- ``url`` (refresh=False) mirrors the filters into the query string without reloading.
- ``nav`` (refresh="callback-nav") is where table-cell callbacks send the browser, so
  following a link inside a table is an in-app navigation.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, dcc, html

from sloboard.views import freshness

from ..context import current
from . import format as fmt
from .filters import NAV, tick_id


def shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Location(id="nav", refresh="callback-nav"),
            html.Header(
                [
                    dcc.Link([html.Span("◎", className="brand-mark"), " sloboard"], href="/", className="brand"),
                    html.Nav([dcc.Link(label, href=path, id=f"nav-{name}", className="nav-link")
                              for name, path, label in NAV]),
                    html.Div(id="as-of", className="as-of"),
                ],
                className="header",
            ),
            html.Div(id="banner", role="status"),
            html.Main(dash.page_container, className="main"),
        ],
        className="app",
    )


def register_callbacks(app) -> None:
    @app.callback(
        Output("banner", "children"),
        Output("as-of", "children"),
        Input("url", "pathname"),
        Input(tick_id(ALL), "n_intervals"),
    )
    def show_freshness(_pathname, _ticks):
        ctx = current()
        at = ctx.at()
        state = freshness(ctx.store, at, ctx.settings.collect.interval_s)
        as_of = f"as of {fmt.when(at, ctx.settings.timezone)} {ctx.settings.timezone}"
        if state.newest is not None:
            as_of += f" · newest sample {fmt.when(state.newest, ctx.settings.timezone)}"
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
