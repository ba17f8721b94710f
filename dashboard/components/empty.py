"""Empty states: say what is missing and what to do about it, instead of a blank chart."""

from __future__ import annotations

from dash import html


def empty_state(title: str, hint: str, element_id: str | None = None) -> html.Div:
    return html.Div(
        [html.Div("∅", className="empty-icon", **{"aria-hidden": "true"}), html.Strong(title), html.P(hint)],
        className="empty-state",
        id=element_id or "empty-state",
    )
