"""DORA over a window: per service and for all services, over 7 and 30 days ending at ``at``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any, Sequence

from ..domain import Deployment
from ..engine.dora import ALL_SERVICES, BandScales, DoraMetrics, dora_by_service

DAY_S = 86400
DORA_WINDOWS = {"7d": 7 * DAY_S, "30d": 30 * DAY_S}


@dataclass(frozen=True)
class DoraEntry(DoraMetrics):
    """The DORA metrics (``engine.dora.DoraMetrics``) of one service, or of all (``"*"``),
    over ``window`` (``7d``, ``30d``) ending at the instant."""

    service: str
    window: str

    def to_dict(self) -> dict[str, Any]:
        """The entry of the public JSON contract (``sloboard status --json``'s ``dora``)."""
        return {
            "service": self.service,
            "window": self.window,
            "deployments": self.deployments,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "rolled_back": self.rolled_back,
            "deployment_frequency_per_day": self.deployment_frequency_per_day,
            "change_failure_rate": self.change_failure_rate,
            "rollback_rate": self.rollback_rate,
            "time_to_restore_median_s": self.time_to_restore_median_s,
            "lead_time_median_s": self.lead_time_median_s,
            "bands": dict(self.bands),
        }


def dora_entries(store, at_epoch: int, deployments: Sequence[Deployment] | None = None, *,
                 bands: BandScales) -> list[DoraEntry]:
    """DORA per service and for all services (``"*"``) over 7 and 30 days ending at ``at``.

    Empty when no deployment was recorded in the longest window. ``deployments``: what
    ``store.deployments`` returns for a span that holds ``(at - 30 d - 1 s, at]``, when
    the caller has read it already; None reads that span. ``bands``: the DORA 2023 bands
    (``sloboard.dora_bands``).
    """
    # The store reads (start, end]; DORA counts [start, end): one second earlier covers both.
    start = at_epoch - max(DORA_WINDOWS.values()) - 1
    if deployments is None:
        deployments = store.deployments(start=start, end=at_epoch)
    else:  # the store's own bounds on started_at, and its order kept
        deployments = [d for d in deployments if start < d.started_at.timestamp() <= at_epoch]
    if not deployments:
        return []  # nothing recorded: no data, rather than a "low" band for zero deploys
    end = datetime.fromtimestamp(at_epoch, tz=timezone.utc)
    out = []
    for label, length in DORA_WINDOWS.items():
        start = datetime.fromtimestamp(at_epoch - length, tz=timezone.utc)
        for service, m in dora_by_service(deployments, start, end, bands).items():
            metrics = {f.name: getattr(m, f.name) for f in fields(DoraMetrics)}
            out.append(DoraEntry(**metrics, service=service, window=label))
    return sorted(out, key=lambda e: (e.service != ALL_SERVICES, e.service, DORA_WINDOWS[e.window]))
