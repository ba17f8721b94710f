"""KPI tiles: a label, a big value, a state (icon + word + colour), one line of detail, and
optionally more rows (the trend rows of the overview's KPI tiles)."""

from __future__ import annotations

from dash import html

from .levels import Level


def tile(label: str, value: str, level: Level, detail: str = "", tile_id: str | None = None,
         extra: list | None = None) -> html.Div:
    return html.Div(
        [
            html.Div(label, className="tile-label"),
            html.Div(value, className="tile-value"),
            html.Div(
                [html.Span(level.icon, className="tile-icon", **{"aria-hidden": "true"}), html.Span(level.word)],
                className="tile-state",
            ),
            html.Div(detail, className="tile-detail") if detail else None,
            html.Div(extra, className="tile-extra") if extra else None,
        ],
        className=f"tile tile-{level.name}",
        id=tile_id or f"tile-{label.lower().replace(' ', '-')}",
        title=f"{label}: {value} ({level.word})",
    )


def tiles(children: list) -> html.Div:
    return html.Div(children, className="tiles")
