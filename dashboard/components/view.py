"""What one page render shows: the filters, "now", the display time zone and the span.

Every page's render callback takes :func:`view_inputs` and turns them into a
:class:`View` with :func:`read_view`. The shell reads the browser once into the
``browser`` store: its time zone (``Intl.DateTimeFormat().resolvedOptions().timeZone``)
and its window width. Charts convert their times to that zone on the server (plotly
draws dates as given) while tooltips add the UTC time; on a wall screen charts are
drawn taller with larger type (plotly sizes text in pixels, so CSS cannot).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dash
from dash import ALL, Input, State
from dash.exceptions import PreventUpdate

from .filters import Filters, dates_id, filter_id

BROWSER = "browser"
WALL_WIDTH = 2200  # CSS pixels from which the page is laid out for a wall screen (style.css)


@dataclass(frozen=True)
class View:
    """``at``: the instant the status is evaluated at (now, on the step grid).
    ``start``/``end``: the time range's span ``(start, end]``, ``end <= at``.
    ``tz``: the zone times are shown in. ``wall``: the browser is wall-screen wide."""

    filters: Filters
    at: int
    tz: str
    start: int
    end: int
    wall: bool = False

    @property
    def span_s(self) -> int:
        return self.end - self.start

    @property
    def label(self) -> str:
        return self.filters.describe()


def view_inputs() -> list:
    """The inputs :func:`read_view` reads, in its argument order."""
    return [
        Input(filter_id(ALL), "value"),
        State(filter_id(ALL), "id"),
        Input(dates_id(ALL), "start_date"),
        Input(dates_id(ALL), "end_date"),
        Input(BROWSER, "data"),
    ]


def display_zone(browser_tz: str | None, fallback: str) -> str:
    """The browser's zone when Python knows it, else ``fallback`` (the configured zone)."""
    try:
        return browser_tz if browser_tz and ZoneInfo(browser_tz) else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def read_view(ctx, values, ids, starts, ends, browser) -> View:
    """The view of this render. Raises ``PreventUpdate`` when only the auto-refresh choice
    changed (the page's timer handles that).

    Before the browser has said its zone (a client that runs no clientside callbacks),
    times are shown in the configured zone, ``settings.timezone``. In a browser the zone
    arrives before the page's components mount, so a page renders once.
    """
    if dash.ctx.triggered_id == filter_id("refresh"):
        raise PreventUpdate
    browser = browser or {}
    chosen = {i["name"]: v for i, v in zip(ids, values)}
    filters = Filters.parse(**chosen, start=next(iter(starts), None), end=next(iter(ends), None))
    tz = display_zone(browser.get("tz"), ctx.settings.timezone)
    at = ctx.at()
    start, end = filters.span(at, tz)
    return View(filters, at, tz, start, end, wall=(browser.get("width") or 0) >= WALL_WIDTH)
