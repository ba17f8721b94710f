"""Deployment charts and tables shared by the deployments and service pages."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from sloboard.domain import Deployment
from sloboard.engine.buckets import deployment_counts

from . import format as fmt
from .empty import empty_state
from .figures import STATUS_COLORS, STATUS_PATTERNS, graph, period_bars, styled
from .palette import LEVEL_TEXT
from .tables import data_table
from .view import View

NO_DEPLOYS_HINT = ("Record deployments with `sloboard deploy record`, POST /api/v1/deployments, or a "
                   "deployments_total counter that `sloboard collect` reads.")


def deploys_chart(deployments: Sequence[Deployment], view: View, graph_id: str):
    if not deployments:
        return empty_state(f"No deployments in {view.label}", NO_DEPLOYS_HINT, element_id=f"{graph_id}-empty")
    bucket = 3600 if view.span_s <= 2 * 86_400 else 86_400  # at most 48 bars per hour, 90 per day
    counts = deployment_counts(deployments, view.start, view.end, bucket)
    fig = go.Figure()
    for status, series in counts.items():
        period_bars(fig, series, bucket, view.tz, value="%{y} deployments", name=status.replace("_", " "),
                    marker={"color": STATUS_COLORS[status], "pattern": {"shape": STATUS_PATTERNS[status]}})
    fig.update_layout(barmode="stack", bargap=0.15)
    per = "hour" if bucket == 3600 else "day (UTC days)"
    return graph(styled(fig, f"Deployments per {per} by outcome", "deployments", view.tz, height=280, large=view.wall), graph_id)


def deploys_table(table_id: str, deployments: Sequence[Deployment], tz: str, range_label: str, query: str = ""):
    """Every deployment, newest first, times in ``tz``; ``range_label`` completes "No deployments in ...";
    the service links carry ``query`` (the page's query string)."""
    rows = []
    for d in sorted(deployments, key=lambda d: d.started_at, reverse=True):
        lead = (d.finished_at - d.committed_at).total_seconds() if d.finished_at and d.committed_at else None
        rows.append({
            "service": d.service,
            "version": d.version,
            "status": d.status.value.replace("_", " "),
            "started": fmt.when(d.started_at.timestamp(), tz),
            "duration": fmt.seconds(d.duration_s),
            "commit": (d.commit or "")[:12],
            "lead_time": fmt.seconds(lead),
            "source": d.source,
        })
    columns = [
        {"id": "started", "name": f"Started ({tz})"},
        {"id": "service", "name": "Service"},
        {"id": "version", "name": "Version"},
        {"id": "status", "name": "Status"},
        {"id": "duration", "name": "Duration"},
        {"id": "commit", "name": "Commit"},
        {"id": "lead_time", "name": "Lead time"},
        {"id": "source", "name": "Source"},
    ]
    styles = [{"if": {"filter_query": f'{{status}} = "{s}"', "column_id": "status"}, "color": c, "fontWeight": "600"}
              for s, c in (("failed", LEVEL_TEXT["bad"]), ("rolled back", LEVEL_TEXT["warn"]))]
    return data_table(table_id, columns, rows, empty_title=f"No deployments in {range_label}",
                      empty_hint=NO_DEPLOYS_HINT, style_data_conditional=styles, link_columns=("service",),
                      query=query)
