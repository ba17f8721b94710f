"""The page for any path no other page claims."""

from __future__ import annotations

import dash

from dashboard.components.empty import not_found
from dashboard.components.filters import NAV

dash.register_page(__name__, path="/404", name="Not found", title="Not found · sloboard")


def layout(**_query):
    return not_found("Page not found", "There is no page at this address",
                     "Pick an SLO or a service on the overview, or one of these pages:",
                     [(label, path) for _, path, label in NAV])


def register_callbacks(app) -> None:
    """No callbacks: the page is static."""
