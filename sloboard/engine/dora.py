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

The metrics are computed from arrays (:func:`dora_from_counts`): the deployments per
status of each group (a service, or all of them) and the restore and lead times inside
the window, so that a reader can count in the database, and read the rows the medians
need as columns (:class:`DeploymentColumns`, :func:`restore_times`, :func:`lead_times`).
:func:`dora_metrics` and :func:`dora_by_service` take ``Deployment`` objects and go the
same way.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from ..domain import Deployment, DeployStatus
from ..errors import InputError

BANDS = ("elite", "high", "medium", "low")
METRICS = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
ALL_SERVICES = "*"
STATUSES = tuple(DeployStatus)  # the order of the status columns of counts and of status codes
SUCCEEDED, FAILED, ROLLED_BACK = (STATUSES.index(s) for s in
                                  (DeployStatus.SUCCEEDED, DeployStatus.FAILED, DeployStatus.ROLLED_BACK))
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


@dataclass(frozen=True)
class DeploymentColumns:
    """Deployments as columns, one row each, oldest first (by start, ties as recorded).

    ``service``: an index into the caller's service names; ``status``: an index into
    ``STATUSES``; times in epoch seconds, ``finished_at`` and ``committed_at`` NaN where
    unknown.
    """

    service: np.ndarray
    status: np.ndarray
    started_at: np.ndarray
    finished_at: np.ndarray
    committed_at: np.ndarray

    @classmethod
    def of(cls, deployments: Sequence[Deployment], service_index: Mapping[str, int]) -> "DeploymentColumns":
        """The columns of ``deployments`` sorted by start (stably), services numbered by ``service_index``."""
        for d in deployments:
            if d.started_at.utcoffset() is None:
                raise InputError(f"deployment {d.service} {d.version}: started_at {d.started_at} has no time zone")

        def times(attribute: str) -> np.ndarray:
            values = (getattr(d, attribute) for d in deployments)
            return np.array([np.nan if t is None else t.timestamp() for t in values], dtype=np.float64)

        return cls(
            service=np.array([service_index[d.service] for d in deployments], dtype=np.int64),
            status=np.array([STATUSES.index(DeployStatus(d.status)) for d in deployments], dtype=np.int64),
            started_at=times("started_at"), finished_at=times("finished_at"), committed_at=times("committed_at"),
        )


Grouped = tuple[np.ndarray, np.ndarray]  # (group index, seconds): one value each


def restore_times(rows: DeploymentColumns, start: float, end: float) -> Grouped:
    """``(service, seconds)`` of each failed or rolled-back deployment started in
    ``[start, end)`` whose service's next succeeded deployment also started before ``end``:
    from the failure's start to that success's finish (its start if the finish is unknown).

    Each service's history is walked on its own, so one service's success never restores
    another's failure; the next success after a failure inside the window is its next
    success at all, so a window is the pairs whose both starts lie in it.
    """
    order = np.argsort(rows.service, kind="stable")  # by service, in time within each
    service, ok = rows.service[order], rows.status[order] == SUCCEEDED
    positions = np.arange(order.size)
    # The nearest success at or after each position (order.size where none follows).
    next_ok = np.minimum.accumulate(np.where(ok, positions, order.size)[::-1])[::-1] if order.size else positions
    failed = positions[~ok & (next_ok < order.size)]
    restorer = next_ok[failed]
    failed, restorer = failed[service[restorer] == service[failed]], restorer[service[restorer] == service[failed]]
    failed, restorer = order[failed], order[restorer]
    inside = (rows.started_at[failed] >= start) & (rows.started_at[restorer] < end)
    failed, restorer = failed[inside], restorer[inside]
    restored_at = np.where(np.isnan(rows.finished_at[restorer]), rows.started_at[restorer], rows.finished_at[restorer])
    return rows.service[failed], restored_at - rows.started_at[failed]


def lead_times(rows: DeploymentColumns, start: float, end: float, describe: Callable[[int], str]) -> Grouped:
    """``(service, seconds)`` of ``finished_at - committed_at`` over the succeeded deployments
    started in ``[start, end)`` where both are known (a failed deployment delivered no
    change). A commit after the finish is refused, the row named by ``describe(index)``."""
    known = ((rows.status == SUCCEEDED) & (rows.started_at >= start) & (rows.started_at < end)
             & ~np.isnan(rows.finished_at) & ~np.isnan(rows.committed_at))
    lead = rows.finished_at[known] - rows.committed_at[known]
    if (lead < 0).any():
        index = int(np.flatnonzero(known)[np.argmax(lead < 0)])
        committed, finished = (datetime.fromtimestamp(t[index], timezone.utc).isoformat()
                               for t in (rows.committed_at, rows.finished_at))
        raise InputError(f"deployment {describe(index)}: committed_at {committed} is after finished_at {finished}")
    return rows.service[known], lead


def group_medians(values: Grouped, groups: int) -> np.ndarray:
    """The median of each group's values (float64, NaN for a group without any)."""
    group, seconds = values
    order = np.lexsort((seconds, group))
    group, seconds = group[order], seconds[order]
    sizes = np.bincount(group, minlength=groups)
    firsts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    out = np.full(groups, np.nan)
    has = sizes > 0
    low, high = firsts[has] + (sizes[has] - 1) // 2, firsts[has] + sizes[has] // 2
    out[has] = (seconds[low] + seconds[high]) / 2
    return out


def dora_from_counts(counts: np.ndarray, window_s: np.ndarray | float, restore: Grouped, lead: Grouped,
                     bands: BandScales) -> list[DoraMetrics]:
    """DORA metrics per group (see the module docstring) from ``counts`` (groups x
    ``STATUSES``: deployments started in the group's window) and the window's
    ``restore_times`` and ``lead_times`` by group index; ``window_s``: each group's window
    length (or one for all)."""
    counts = np.asarray(counts, dtype=np.int64).reshape(-1, len(STATUSES))
    lengths = np.broadcast_to(np.asarray(window_s, dtype=np.float64), counts.shape[:1])
    restores, leads = group_medians(restore, len(counts)), group_medians(lead, len(counts))
    out = []
    for (succeeded, failed, rolled_back), length, restore_s, lead_s in zip(
            counts[:, [SUCCEEDED, FAILED, ROLLED_BACK]].tolist(), lengths.tolist(), restores.tolist(), leads.tolist()):
        total = succeeded + failed + rolled_back
        frequency = total / (length / _DAY_S)
        failure_rate = (failed + rolled_back) / total if total else None
        rollback_rate = rolled_back / total if total else None
        restore_value = None if restore_s != restore_s else restore_s  # NaN: nothing restored
        lead_value = None if lead_s != lead_s else lead_s
        values = {"deployment_frequency": frequency, "lead_time": lead_value,
                  "change_failure_rate": failure_rate, "time_to_restore": restore_value}
        out.append(DoraMetrics(
            deployments=total, succeeded=succeeded, failed=failed, rolled_back=rolled_back,
            deployment_frequency_per_day=frequency, change_failure_rate=failure_rate, rollback_rate=rollback_rate,
            time_to_restore_median_s=restore_value, lead_time_median_s=lead_value,
            bands={metric: bands[metric].band(values[metric]) for metric in METRICS},
        ))
    return out


def window_counts(rows: DeploymentColumns, group_of: np.ndarray, start: float, end: float) -> np.ndarray:
    """Deployments per group and status started in ``[start, end)``; ``group_of[service]``:
    each service's group index."""
    inside = (rows.started_at >= start) & (rows.started_at < end)
    groups = int(group_of.max()) + 1 if group_of.size else 0
    flat = group_of[rows.service[inside]] * len(STATUSES) + rows.status[inside]
    return np.bincount(flat, minlength=groups * len(STATUSES)).reshape(groups, len(STATUSES))


def dora_metrics(
    deployments: Iterable[Deployment],
    start: datetime,
    end: datetime,
    bands: BandScales,
) -> DoraMetrics:
    """DORA metrics of the deployments started in ``[start, end)`` (see the module docstring)."""
    return _dora_of_groups(list(deployments), start, end, bands, by_service=False)[0]


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
    per_service = _dora_of_groups(deployments, start, end, bands, by_service=True)
    services = sorted({d.service for d in deployments})
    return {ALL_SERVICES: dora_metrics(deployments, start, end, bands), **dict(zip(services, per_service))}


def _dora_of_groups(deployments: Sequence[Deployment], start: datetime, end: datetime, bands: BandScales, *,
                    by_service: bool) -> list[DoraMetrics]:
    """One group per service (sorted by name) or one for all of them."""
    _check_window(start, end)
    services = sorted({d.service for d in deployments})
    ordered = sorted(deployments, key=lambda d: d.started_at)
    rows = DeploymentColumns.of(ordered, {s: i for i, s in enumerate(services)})
    group_of = np.arange(len(services)) if by_service else np.zeros(max(len(services), 1), np.int64)
    a, b = start.timestamp(), end.timestamp()
    restore = restore_times(rows, a, b)
    lead = lead_times(rows, a, b, lambda i: f"{ordered[i].service} {ordered[i].version}")
    return dora_from_counts(window_counts(rows, group_of, a, b), b - a, (group_of[restore[0]], restore[1]),
                            (group_of[lead[0]], lead[1]), bands)


def _check_window(start: datetime, end: datetime) -> None:
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InputError(f"DORA window {start} .. {end}: times must carry a time zone (UTC)")
    if not start < end:
        raise InputError(f"DORA window {start.isoformat()} .. {end.isoformat()}: start must be before end")
