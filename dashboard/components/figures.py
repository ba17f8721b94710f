"""Figure helpers: local-time axes, one look for every chart, deployment markers."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import dcc

from sloboard.domain import Deployment

from . import format as fmt

COLORS = {
    "line": "#0969da",
    "objective": "#cf222e",
    "forecast": "#8250df",
    "short": "#e16f24",
    "good": "#1a7f37",
    "warn": "#9a6700",
    "bad": "#cf222e",
    "muted": "#6e7781",
}
STATUS_COLORS = {"succeeded": COLORS["good"], "failed": COLORS["bad"], "rolled_back": COLORS["warn"]}
STATUS_SYMBOLS = {"succeeded": "triangle-up", "failed": "x", "rolled_back": "triangle-down"}


def local_times(epochs, tz: str) -> pd.DatetimeIndex:
    """Epoch seconds as wall-clock times in ``tz`` (naive, so the axis shows them as they are)."""
    return pd.to_datetime(np.asarray(epochs, dtype=np.int64), unit="s", utc=True).tz_convert(tz).tz_localize(None)


def styled(fig: go.Figure, title: str, y_title: str, tz: str, *, height: int = 300, y_format: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": f"{title} <span style='font-size:12px;color:#59636e'>· times in {tz}</span>", "x": 0,
               "xanchor": "left", "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 44, "b": 60},
        legend={"orientation": "h", "y": -0.1, "yanchor": "top", "x": 0},
        hovermode="x unified",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    fig.update_xaxes(showgrid=True)
    fig.update_yaxes(title_text=y_title, tickformat=y_format)
    return fig


def period_bars(fig: go.Figure, series, bucket_s: int, tz: str, **bar) -> None:
    """Bars that each span their whole bucket on the time axis.

    A bucket's start is recovered from its drawn time, which is its end, or ``end`` of
    the range for the unfinished last bucket: both lie in ``(start, start + bucket_s]``.
    """
    starts = (np.asarray(series.ts) - 1) // bucket_s * bucket_s
    fig.add_trace(go.Bar(x=local_times(starts, tz), y=series.values,
                         xperiod=bucket_s * 1000, xperiodalignment="start", **bar))


def graph(fig: go.Figure, graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=fig, config={"displaylogo": False}, className="graph")


def deploy_markers(fig: go.Figure, deployments: Sequence[Deployment], y: float, tz: str, *, row=None, col=None) -> None:
    """One marker per deployment at height ``y``, coloured and shaped by status, with a hover
    text naming version, status and duration."""
    by_status: dict[str, list[Deployment]] = {}
    for d in deployments:
        by_status.setdefault(d.status.value, []).append(d)
    for status, deps in sorted(by_status.items()):
        fig.add_trace(
            go.Scatter(
                x=local_times([int(d.started_at.timestamp()) for d in deps], tz),
                y=[y] * len(deps),
                mode="markers",
                name=f"deploy {status.replace('_', ' ')}",
                marker={"symbol": STATUS_SYMBOLS[status], "size": 10, "color": STATUS_COLORS[status],
                        "line": {"width": 1, "color": "white"}},
                hovertext=[f"{d.version} · {status.replace('_', ' ')} · {fmt.seconds(d.duration_s)}" for d in deps],
                hoverinfo="text+x",
            ),
            row=row,
            col=col,
        )
