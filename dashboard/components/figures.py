"""Figure helpers: time axes in the viewer's zone with UTC in every tooltip, one look for
every chart (colour-blind-safe series colours), deployment markers.

Plotly draws a date exactly as it is given, in no zone. So the server converts each
time to the display zone (``local_times``) and sends the UTC time along as the first
column of ``customdata``, which every hover template prints (``hover``).

The plotly template goes into a chart only as it is sent (``graph``), as plain JSON:
assigning a template to a ``go.Figure`` validates and deep-copies all of it, about
10 ms a chart, which is most of the cost of drawing a page of charts on the server.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from dash import dcc

from sloboard.domain import Deployment

from . import format as fmt
from .palette import OKABE_ITO, SERIES

COLORS = {
    "line": OKABE_ITO["blue"],
    "objective": OKABE_ITO["vermillion"],
    "forecast": OKABE_ITO["reddish_purple"],
    "short": OKABE_ITO["orange"],
    "muted": "#6e7781",
}
STATUS_COLORS = {"succeeded": OKABE_ITO["bluish_green"], "failed": OKABE_ITO["vermillion"],
                 "rolled_back": OKABE_ITO["orange"]}
# Shape and fill pattern tell the outcomes apart without colour.
STATUS_SYMBOLS = {"succeeded": "triangle-up", "failed": "x", "rolled_back": "triangle-down"}
STATUS_PATTERNS = {"succeeded": "", "failed": "x", "rolled_back": "/"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
TEMPLATE = "plotly_white"
WALL_SCALE = 1.4  # chart height and type on a wall screen, against a laptop


def local_times(epochs, tz: str) -> pd.DatetimeIndex:
    """Epoch seconds as wall-clock times in ``tz`` (naive, so the axis shows them as they are)."""
    return pd.to_datetime(np.asarray(epochs, dtype=np.int64), unit="s", utc=True).tz_convert(tz).tz_localize(None)


def utc_labels(epochs) -> np.ndarray:
    return np.asarray(pd.to_datetime(np.asarray(epochs, dtype=np.int64), unit="s").strftime(TIME_FORMAT), dtype=object)


def timed(epochs, tz: str, *extra: Sequence) -> dict:
    """``x`` in ``tz`` and ``customdata`` whose first column is the UTC time, then ``extra`` columns."""
    return {"x": local_times(epochs, tz), "customdata": np.column_stack([utc_labels(epochs), *extra])
            if len(epochs) else np.empty((0, 1 + len(extra)), dtype=object)}


def hover(tz: str, first_line: str, name: str = "") -> str:
    """A tooltip: ``first_line`` (e.g. ``%{y:.1f}%``), the time in ``tz``, and in UTC."""
    return (f"{first_line}<br>%{{x|{TIME_FORMAT}}} {tz}<br>%{{customdata[0]}} UTC"
            f"<extra>{name}</extra>")


def styled(fig: go.Figure, title: str, y_title: str, tz: str, *, height: int = 300, y_format: str | None = None,
           large: bool = False) -> dict:
    """One look for every chart (with the template that ``graph`` adds), as the figure's plotly
    JSON; ``large`` (a wall screen) scales its height and type by ``WALL_SCALE``.

    The look is merged into the JSON as ``update_layout`` / ``update_xaxes`` /
    ``update_yaxes`` would set it (nested keys merged, other keys kept): through the
    figure, plotly validates every property, about 10 ms a chart.
    """
    scale = WALL_SCALE if large else 1.0
    figure = fig.to_plotly_json()
    layout = _merged(figure.get("layout", {}), {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": round(15 * scale)}},
        "colorway": list(SERIES),
        "height": round(height * scale),
        "margin": {"l": 64, "r": 20, "t": round(44 * scale), "b": 24},
        # At the bottom of the figure, not of the plot: plotly then makes room for it below
        # the axis labels instead of drawing over them.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": round(13 * scale)}},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": round(12 * scale)},
        "xaxis": {"showgrid": True, "automargin": True,
                  "title": {"text": f"time in {tz} (UTC on hover)", "standoff": 6,
                            "font": {"size": round(11 * scale), "color": "#59636e"}}},
        "yaxis": {"title": {"text": y_title}, "automargin": True,
                  **({} if y_format is None else {"tickformat": y_format})},
    })
    return {**figure, "layout": layout}


def _merged(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, nested dicts key by key (a new dict; ``base`` is kept)."""
    out = dict(base)
    for key, value in update.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def period_bars(fig: go.Figure, series, bucket_s: int, tz: str, *, value: str, name: str, **bar) -> None:
    """Bars that each span their whole bucket on the time axis; the tooltip names its start.

    A bucket's start is recovered from its drawn time, which is its end, or ``end`` of
    the range for the unfinished last bucket: both lie in ``(start, start + bucket_s]``.
    """
    starts = (np.asarray(series.ts) - 1) // bucket_s * bucket_s
    fig.add_trace(go.Bar(**timed(starts, tz), y=series.values, name=name, xperiod=bucket_s * 1000,
                         xperiodalignment="start", hovertemplate=hover(tz, value, name), **bar))


@functools.cache
def _template_json() -> dict:
    return pio.templates[TEMPLATE].to_plotly_json()


def graph(figure: dict, graph_id: str) -> dcc.Graph:
    """The chart (plotly JSON, as ``styled`` returns it) as a ``dcc.Graph`` with the ``TEMPLATE`` look."""
    figure = {**figure, "layout": {**figure.get("layout", {}), "template": _template_json()}}
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False}, className="graph")


def deploy_markers(fig: go.Figure, deployments: Sequence[Deployment], y: float, tz: str, *, row=None, col=None) -> None:
    """One marker per deployment at height ``y``, coloured and shaped by status, with a hover
    text naming version, status and duration."""
    by_status: dict[str, list[Deployment]] = {}
    for d in deployments:
        by_status.setdefault(d.status.value, []).append(d)
    for status, deps in sorted(by_status.items()):
        words = status.replace("_", " ")
        fig.add_trace(
            go.Scatter(
                **timed([int(d.started_at.timestamp()) for d in deps], tz,
                        [f"{d.version} · {words} · {fmt.seconds(d.duration_s)}" for d in deps]),
                y=[y] * len(deps),
                mode="markers",
                name=f"deploy {words}",
                marker={"symbol": STATUS_SYMBOLS[status], "size": 10, "color": STATUS_COLORS[status],
                        "line": {"width": 1, "color": "white"}},
                hovertemplate=hover(tz, "deploy %{customdata[1]}"),
            ),
            row=row,
            col=col,
        )
