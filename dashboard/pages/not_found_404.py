"""The page for any path no other page claims."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components.empty import empty_state

dash.register_page(__name__, path="/404", name="Not found", title="Not found · sloboard")


def layout(**_query):
    return html.Div([
        html.H1("Page not found"),
        empty_state("There is no page at this address", "Go back to the overview to pick an SLO or a service."),
        dcc.Link("← Overview", href="/"),
    ])


def register_callbacks(app) -> None:
    """No callbacks: the page is static."""
