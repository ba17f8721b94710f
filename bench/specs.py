"""SLO spec files for benchmark fleets, written in OpenSLO v1 as a user would write them.

Every service of a synthetic fleet (``collectors.synthetic``) gets up to two SLOs:

- ``availability``: non-5xx requests over all requests (``http_requests_total``), 99.9 %;
- ``latency``: requests within 250 ms (the ``le="0.25"`` bucket of
  ``http_request_duration_seconds``), 99 %.

Both are rolling 28-day windows, Occurrences. ``alert_windows`` (the compact form of
the ``sloboard.dev/alert-windows`` annotation) replaces the default burn-rate table,
which the peer comparison uses to get SLIs over 1h, 12h and 7d from ``sloboard status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import yaml

from collectors.synthetic import ServiceProfile

AVAILABILITY_OBJECTIVE = 0.999
LATENCY_OBJECTIVE = 0.99
LATENCY_THRESHOLD_S = 0.25
WINDOW = "28d"


def availability_queries(service: str) -> tuple[str, str]:
    """(good, total) PromQL over the fleet's request counter: non-5xx and all requests."""
    return (
        f'sum(http_requests_total{{service="{service}",code!~"5.."}})',
        f'sum(http_requests_total{{service="{service}"}})',
    )


def _prometheus(query: str) -> dict:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def _metadata(name: str, profile: ServiceProfile, alert_windows: str | None) -> dict:
    annotations = {"sloboard.dev/team": profile.team}
    if alert_windows:
        annotations["sloboard.dev/alert-windows"] = alert_windows
    return {"name": name, "annotations": annotations}


def availability_doc(profile: ServiceProfile, alert_windows: str | None = None) -> dict:
    good, total = availability_queries(profile.name)
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": _metadata("availability", profile, alert_windows),
        "spec": {
            "description": f"{AVAILABILITY_OBJECTIVE:.1%} of {profile.name} requests are not 5xx over {WINDOW}.",
            "service": profile.name,
            "indicator": {
                "metadata": {"name": f"{profile.name}-non-5xx"},
                "spec": {"ratioMetric": {"counter": True, "good": _prometheus(good), "total": _prometheus(total)}},
            },
            "timeWindow": [{"duration": WINDOW, "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": "Non-5xx responses", "target": AVAILABILITY_OBJECTIVE}],
        },
    }


def latency_doc(profile: ServiceProfile, alert_windows: str | None = None) -> dict:
    histogram = f'http_request_duration_seconds{{service="{profile.name}"}}'
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": _metadata("latency", profile, alert_windows),
        "spec": {
            "description": f"{LATENCY_OBJECTIVE:.0%} of {profile.name} requests finish within 250 ms over {WINDOW}.",
            "service": profile.name,
            "indicator": {
                "metadata": {"name": f"{profile.name}-within-250ms"},
                "spec": {"thresholdMetric": _prometheus(histogram)},
            },
            "timeWindow": [{"duration": WINDOW, "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [
                {"displayName": "Within 250 ms", "op": "lte", "value": LATENCY_THRESHOLD_S, "target": LATENCY_OBJECTIVE}
            ],
        },
    }


def write_specs(
    folder: Path,
    profiles: Sequence[ServiceProfile],
    *,
    latency: bool = True,
    alert_windows: str | None = None,
) -> int:
    """One file per service under ``folder``; returns the number of SLOs written."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for profile in profiles:
        docs = [availability_doc(profile, alert_windows)]
        if latency:
            docs.append(latency_doc(profile, alert_windows))
        (folder / f"{profile.name}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        count += len(docs)
    return count
