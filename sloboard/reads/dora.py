"""DORA over a window: per service and for all services, over 7 and 30 days ending at ``at``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..engine.dora import (ALL_SERVICES, BandScales, DeploymentColumns, DoraMetrics, dora_from_counts,
                           lead_times, restore_times, window_counts)

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


def dora_entries(store, at_epoch: int, *, bands: BandScales) -> list[DoraEntry]:
    """DORA per service and for all services (``"*"``) over 7 and 30 days ending at ``at``.

    Empty when no deployment was recorded in ``[at - 30 d, at]``. One read of that span as
    columns (``store.deployment_events``: no Python object per deployment) serves the
    counts, the restore times and the lead times (those need every deployment on its own).
    ``bands``: the DORA 2023 bands (``sloboard.dora_bands``).
    """
    longest = max(DORA_WINDOWS.values())
    events = store.deployment_events(start=at_epoch - longest, end=at_epoch)
    services = events.services  # those started at ``at`` itself count in no window but get entries
    if not services:
        return []  # nothing recorded: no data, rather than a "low" band for zero deploys
    rows = DeploymentColumns(events.service, events.status, events.started_at, events.finished_at,
                             events.committed_at)
    group_of = np.arange(1, len(services) + 1)  # group 0 is all services together

    def grouped(values: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        service, seconds = values
        return np.concatenate((np.zeros(service.size, np.int64), group_of[service])), np.concatenate((seconds, seconds))

    def describe(i: int) -> str:
        started = datetime.fromtimestamp(rows.started_at[i], timezone.utc).isoformat()
        return f"{services[rows.service[i]]} started {started}"

    out = []
    for label, length in DORA_WINDOWS.items():
        start = at_epoch - length
        per_service = window_counts(rows, np.arange(len(services)), start, at_epoch)
        metrics = dora_from_counts(np.vstack((per_service.sum(axis=0), per_service)), length,
                                   grouped(restore_times(rows, start, at_epoch)),
                                   grouped(lead_times(rows, start, at_epoch, describe)), bands)
        for service, m in zip((ALL_SERVICES, *services), metrics):
            values = {f.name: getattr(m, f.name) for f in fields(DoraMetrics)}
            out.append(DoraEntry(**values, service=service, window=label))
    return sorted(out, key=lambda e: (e.service != ALL_SERVICES, e.service, DORA_WINDOWS[e.window]))
