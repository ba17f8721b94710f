"""The note a page shows when it serves older figures because another worker is still
computing the new instant's (``cache_compute.computing_state``): colour, icon and word,
as the stale banner has them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import html

from ..cache_compute import computing_state


def computing_note(tz: str) -> html.Div | None:
    """"Figures as of HH:MM (in ``tz``); newer figures are being computed", or None when
    every figure of this request is of the instant asked for."""
    state = computing_state()
    if state is None:
        return None
    served, _computing = state
    as_of = datetime.fromtimestamp(served, ZoneInfo(tz)).strftime("%H:%M")
    return html.Div(
        [html.Strong("↻ Computing. "), html.Span(f"Figures as of {as_of}; newer figures are being computed.")],
        className="banner banner-computing", id="computing-note", role="status",
    )
