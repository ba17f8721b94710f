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

Bands come from ``sloboard/data/dora_bands.yaml``, which cites the report and states
the boundary rule (a value on a threshold gets the better band).

Pure: no clock, no I/O except reading that packaged file once.
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from types import MappingProxyType

import yaml

from ..domain import Deployment, DeployStatus, parse_duration
from ..errors import ConfigError, InputError

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


def parse_bands(text: str, origin: str) -> BandScales:
    """Read a bands table in the format of ``dora_bands.yaml``; ``origin`` names it in errors."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{origin}: expected a mapping with the keys {', '.join(METRICS)}")
    unknown = sorted(set(doc) - set(METRICS), key=str)
    if unknown:
        raise ConfigError(f"{origin}: {unknown[0]}: unknown metric; use {', '.join(METRICS)}")
    return MappingProxyType({metric: _parse_scale(doc.get(metric), metric, origin) for metric in METRICS})


def _parse_scale(entry: object, metric: str, origin: str) -> BandScale:
    graded = BANDS[:-1]
    if not isinstance(entry, dict) or set(entry) != set(graded):
        raise ConfigError(f"{origin}: {metric}: give exactly the thresholds {', '.join(graded)}")
    raw = [_parse_limit(entry[band], metric, band, origin) for band in graded]
    # Every limit is written as "at most" (a duration, or a fraction), so it must
    # grow from elite to medium; otherwise a band could never be reached.
    if not raw[0] < raw[1] < raw[2]:
        raise ConfigError(f"{origin}: {metric}: thresholds must grow from elite to high to medium")
    if metric == "deployment_frequency":
        # "at least one deployment every D" is a rate of at least 1/D deploys per day.
        return BandScale(True, tuple(_DAY_S / seconds for seconds in raw))
    return BandScale(False, tuple(raw))


def _parse_limit(value: object, metric: str, band: str, origin: str) -> float:
    where = f"{origin}: {metric}.{band}"
    if metric == "change_failure_rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(f"{where}: expected a fraction between 0 and 1, got {value!r}")
        return float(value)
    try:
        return parse_duration(str(value)).total_seconds()
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


@functools.cache
def default_bands() -> BandScales:
    """The packaged DORA 2023 bands, read once."""
    source = resources.files("sloboard").joinpath("data", "dora_bands.yaml")
    return parse_bands(source.read_text(encoding="utf-8"), origin="sloboard/data/dora_bands.yaml")


def dora_metrics(
    deployments: Iterable[Deployment],
    start: datetime,
    end: datetime,
    bands: BandScales | None = None,
) -> DoraMetrics:
    """DORA metrics of the deployments started in ``[start, end)`` (see the module docstring)."""
    _check_window(start, end)
    in_window = sorted((d for d in deployments if _started_in(d, start, end)), key=lambda d: d.started_at)
    scales = bands if bands is not None else default_bands()

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
        bands={metric: scales[metric].band(values[metric]) for metric in METRICS},
    )


def dora_by_service(
    deployments: Sequence[Deployment],
    start: datetime,
    end: datetime,
    bands: BandScales | None = None,
) -> dict[str, DoraMetrics]:
    """DORA metrics per service named in ``deployments``, plus ``"*"`` for all of them together.

    A service whose deployments all lie outside the window still gets an entry
    (zero deployments), so a quiet service shows up as quiet rather than missing.
    """
    scales = bands if bands is not None else default_bands()
    by_service: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        by_service[d.service].append(d)
    result = {ALL_SERVICES: dora_metrics(deployments, start, end, scales)}
    for service in sorted(by_service):
        result[service] = dora_metrics(by_service[service], start, end, scales)
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
