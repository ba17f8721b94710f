"""Empty states: say what is missing and what to do about it, instead of a blank chart;
and the not-found state, which also links to what does exist."""

from __future__ import annotations

from typing import Sequence

from dash import dcc, html


def empty_state(title: str, hint: str, element_id: str | None = None, links: Sequence[tuple[str, str]] = ()) -> html.Div:
    """``links``: ``(label, href)`` pairs listed under the hint."""
    return html.Div(
        [
            html.Div("∅", className="empty-icon", **{"aria-hidden": "true"}),
            html.Strong(title),
            html.P(hint),
            html.Ul([html.Li(dcc.Link(label, href=href)) for label, href in links], className="empty-links")
            if links else None,
        ],
        className="empty-state",
        id=element_id or "empty-state",
    )


def not_found(heading: str, title: str, hint: str, links: Sequence[tuple[str, str]],
              element_id: str = "not-found") -> html.Div:
    """A page's whole content when its address names nothing: what was asked for, and links
    to what exists. (Dash answers every page with HTTP 200; the content says "not found".)"""
    return html.Div([html.H1(heading), empty_state(title, hint, element_id, links)])
