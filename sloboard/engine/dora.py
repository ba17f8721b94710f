"""DORA software delivery metrics over recorded deployments, with the 2023 bands.

Definitions, for the deployments whose ``started_at`` lies in ``[start, end)``:

- deployment frequency = deployments / window length in days. Every recorded attempt
  counts, failed and rolled back ones included: each one changed production.
- change failure rate = (failed + rolled back) / deployments; rollback rate =
  rolled back / deployments. Both are None without deployments (no data, not 0 %).
- time to restore (DORA 2023: "failed deployment recovery time") = the median, over
  failed or rolled-back deployments, of the time from the failed deployment's start
  to the finish of the next succeeded deployment of the same service (its start if
  the finish is unknown). Only deployments inside the window are seen, so a failure
  restored after ``end`` has no restore time yet. None when nothing was restored.
- lead time for changes = the median of ``finished_at - committed_at`` over
  succeeded deployments where both are known (a failed deployment delivered no
  change). None when no commit time is known.

Bands (``BandScales``) are passed in: ``sloboard.dora_bands`` reads them from
``sloboard/data/dora_bands.yaml``, which cites the report and states the boundary rule
(a value on a threshold gets the better band).

Pure: no clock, no I/O.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from ..domain import Deployment, DeployStatus
from ..errors import InputError

BANDS = ("elite", "high", "medium", "low")
METRICS = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
ALL_SERVICES = "*"
_DAY_S = 86400.0


@dataclass(frozen=True)
class BandScale:
    """The elite, high and medium thresholds of one metric; whatever misses them is low.

    Thresholds are in the metric's own unit (deploys per day, seconds, fraction) and
    inclusive toward the better band.
    """

    higher_is_better: bool
    limits: tuple[float, float, float]  # elite, high, medium

    def band(self, value: float | None) -> str | None:
        if value is None:
            return None
        for name, limit in zip(BANDS, self.limits):
            if (value >= limit) if self.higher_is_better else (value <= limit):
                return name
        return BANDS[-1]


BandScales = Mapping[str, BandScale]


@dataclass(frozen=True)
class DoraMetrics:
    deployments: int
    succeeded: int
    failed: int
    rolled_back: int
    deployment_frequency_per_day: float
    change_failure_rate: float | None
    rollback_rate: float | None
    time_to_restore_median_s: float | None
    lead_time_median_s: float | None
    bands: dict[str, str | None]  # metric name (METRICS) -> band (BANDS), None without data


def dora_metrics(
    deployments: Iterable[Deployment],
    start: datetime,
    end: datetime,
    bands: BandScales,
) -> DoraMetrics:
    """DORA metrics of the deployments started in ``[start, end)`` (see the module docstring)."""
    _check_window(start, end)
    in_window = sorted((d for d in deployments if _started_in(d, start, end)), key=lambda d: d.started_at)
    total = len(in_window)
    succeeded = sum(d.status == DeployStatus.SUCCEEDED for d in in_window)
    failed = sum(d.status == DeployStatus.FAILED for d in in_window)
    rolled_back = sum(d.status == DeployStatus.ROLLED_BACK for d in in_window)
    frequency = total / ((end - start).total_seconds() / _DAY_S)
    failure_rate = (failed + rolled_back) / total if total else None
    rollback_rate = rolled_back / total if total else None
    restore = _median(_restore_times(in_window))
    lead = _median(_lead_times(in_window))

    values = {
        "deployment_frequency": frequency,
        "lead_time": lead,
        "change_failure_rate": failure_rate,
        "time_to_restore": restore,
    }
    return DoraMetrics(
        deployments=total,
        succeeded=succeeded,
        failed=failed,
        rolled_back=rolled_back,
        deployment_frequency_per_day=frequency,
        change_failure_rate=failure_rate,
        rollback_rate=rollback_rate,
        time_to_restore_median_s=restore,
        lead_time_median_s=lead,
        bands={metric: bands[metric].band(values[metric]) for metric in METRICS},
    )


def dora_by_service(
    deployments: Sequence[Deployment],
    start: datetime,
    end: datetime,
    bands: BandScales,
) -> dict[str, DoraMetrics]:
    """DORA metrics per service named in ``deployments``, plus ``"*"`` for all of them together.

    A service whose deployments all lie outside the window still gets an entry
    (zero deployments), so a quiet service shows up as quiet rather than missing.
    """
    by_service: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        by_service[d.service].append(d)
    result = {ALL_SERVICES: dora_metrics(deployments, start, end, bands)}
    for service in sorted(by_service):
        result[service] = dora_metrics(by_service[service], start, end, bands)
    return result


def _check_window(start: datetime, end: datetime) -> None:
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InputError(f"DORA window {start} .. {end}: times must carry a time zone (UTC)")
    if not start < end:
        raise InputError(f"DORA window {start.isoformat()} .. {end.isoformat()}: start must be before end")


def _started_in(d: Deployment, start: datetime, end: datetime) -> bool:
    if d.started_at.utcoffset() is None:
        raise InputError(f"deployment {d.service} {d.version}: started_at {d.started_at} has no time zone")
    return start <= d.started_at < end


def _restore_times(deployments: Sequence[Deployment]) -> list[float]:
    """Seconds from each failed or rolled-back deployment to its service's next success.

    ``deployments`` is sorted by start; each service's history is walked on its own
    so that one service's success never restores another's failure.
    """
    histories: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        histories[d.service].append(d)
    times: list[float] = []
    for history in histories.values():
        unrestored: list[Deployment] = []
        for d in history:
            if d.status != DeployStatus.SUCCEEDED:
                unrestored.append(d)
                continue
            restored_at = d.finished_at or d.started_at
            times.extend((restored_at - f.started_at).total_seconds() for f in unrestored)
            unrestored = []
    return times


def _lead_times(deployments: Sequence[Deployment]) -> list[float]:
    times = []
    for d in deployments:
        if d.status != DeployStatus.SUCCEEDED or d.committed_at is None or d.finished_at is None:
            continue
        lead = (d.finished_at - d.committed_at).total_seconds()
        if lead < 0:
            raise InputError(
                f"deployment {d.service} {d.version}: committed_at {d.committed_at.isoformat()} "
                f"is after finished_at {d.finished_at.isoformat()}"
            )
        times.append(lead)
    return times


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None
