"""Chart buckets: one point per bucket over long ranges, with how each bucket folds its steps.

A bucket ending at ``e`` covers ``(e - bucket_s, e]``; bucket ends are multiples of
``bucket_s`` in epoch time (so daily buckets are UTC days), matching the step
convention of the store. Each function states how it folds the steps of a bucket into
one value. Pure: arrays in, :class:`Series` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..domain import Deployment, DeployStatus

# Bucket lengths a chart may use, shortest first: each divides the next day boundary.
NICE_BUCKETS_S = (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class Series:
    """Values at times: ``ts`` (int64 epoch seconds, bucket or sample ends) and ``values``
    (float64, NaN where there is no data)."""

    ts: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> "Series":
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))

    @property
    def has_data(self) -> bool:
        return bool(np.any(~np.isnan(self.values)))


def bucket_seconds(span_s: int, step_s: int, max_points: int = 400) -> int:
    """The shortest nice bucket (a multiple of ``step_s``) giving at most ``max_points`` buckets."""
    for bucket in NICE_BUCKETS_S:
        if bucket >= step_s and bucket % step_s == 0 and span_s / bucket <= max_points:
            return bucket
    days = -(-span_s // (max_points * 86400))
    return days * 86400


def bucket_ends(start: int, end: int, bucket_s: int) -> np.ndarray:
    """The ends of the buckets that cover ``(start, end]``: multiples of ``bucket_s``."""
    first = (start // bucket_s + 1) * bucket_s
    last = -(-end // bucket_s) * bucket_s
    return np.arange(first, last + 1, bucket_s, dtype=np.int64)


def _bucket_of(ts: np.ndarray, ends: np.ndarray, bucket_s: int) -> np.ndarray:
    """Index into ``ends`` of the bucket that holds each time."""
    return ((-(-ts // bucket_s) * bucket_s) - ends[0]) // bucket_s if ends.size else np.empty(0, np.int64)


def bucket_sum(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Sum of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    sums = np.zeros(ends.size)
    seen = np.zeros(ends.size, bool)
    idx = _bucket_of(ts, ends, bucket_s)
    np.add.at(sums, idx, values)
    seen[idx] = True
    return Series(_shown(ends, end), np.where(seen, sums, np.nan))


def bucket_mean(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Mean of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ts, values = _within(ts, values, start, end)
    return bucket_ratio(ts, values, np.ones(ts.size), start, end, bucket_s)


def bucket_ratio(ts: np.ndarray, sums: np.ndarray, counts: np.ndarray, start: int, end: int, bucket_s: int) -> Series:
    """Σ sums / Σ counts of the rows in each bucket over ``(start, end]`` (rows within it); NaN where Σ counts is 0."""
    ends = bucket_ends(start, end, bucket_s)
    idx = _bucket_of(ts, ends, bucket_s)
    totals = np.bincount(idx, weights=sums, minlength=ends.size)
    steps = np.bincount(idx, weights=counts, minlength=ends.size)
    means = np.full(ends.size, np.nan)
    np.divide(totals, steps, out=means, where=steps > 0)
    return Series(_shown(ends, end), means)


def bucket_max(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """Largest of ``values`` per bucket over ``(start, end]``; NaN for a bucket without samples."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    out = np.full(ends.size, -np.inf)
    np.maximum.at(out, _bucket_of(ts, ends, bucket_s), values)
    return Series(_shown(ends, end), np.where(np.isneginf(out), np.nan, out))


def bucket_last(ts, values, start: int, end: int, bucket_s: int) -> Series:
    """The last value in each bucket over ``(start, end]``: exact samples of a cumulative curve."""
    ends = bucket_ends(start, end, bucket_s)
    ts, values = _within(ts, values, start, end)
    out = np.full(ends.size, np.nan)
    out[_bucket_of(ts, ends, bucket_s)] = values  # later samples overwrite earlier ones
    return Series(_shown(ends, end), out)


def _shown(ends: np.ndarray, end: int) -> np.ndarray:
    """Bucket ends as plotted: the last, unfinished bucket is drawn at ``end``, not in the future."""
    return np.minimum(ends, end)


def _within(ts, values, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    ts = np.asarray(ts, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    lo, hi = np.searchsorted(ts, [start, end], side="right")
    ts, values = ts[lo:hi], values[lo:hi]
    keep = ~np.isnan(values)
    return ts[keep], values[keep]


def deployment_counts(deployments: Sequence[Deployment], start: int, end: int, bucket_s: int) -> dict[str, Series]:
    """Deployments started per bucket, by status (every status present, zeros included)."""
    ends = bucket_ends(start, end, bucket_s)
    out = {}
    for status in DeployStatus:
        started = np.array(
            [int(d.started_at.timestamp()) for d in deployments if d.status == status], dtype=np.int64
        )
        started = started[(started > start) & (started <= end)]
        counts = np.bincount(_bucket_of(started, ends, bucket_s), minlength=ends.size).astype(np.float64)
        out[status.value] = Series(_shown(ends, end), counts)
    return out


@dataclass(frozen=True)
class Rest:
    """The series left out of a chart's ``biggest``, summed per time: ``count`` of them."""

    count: int
    series: Series


def biggest_and_rest(by_name: dict[str, Series], keep: int) -> tuple[dict[str, Series], Rest | None]:
    """The ``keep`` series with the largest sums, largest first, and the others summed into
    one (None when there are no others). Series without data are left out; all series
    share their ``ts``. A time where none of the others has data stays NaN."""
    sums = {name: float(np.nansum(s.values)) for name, s in by_name.items() if s.has_data}
    ranked = sorted(sums, key=lambda name: (-sums[name], name))
    biggest = {name: by_name[name] for name in ranked[:keep]}
    others = ranked[keep:]
    if not others:
        return biggest, None
    values = np.array([by_name[name].values for name in others])
    summed = np.where(np.isnan(values).all(axis=0), np.nan, np.nansum(values, axis=0))
    return biggest, Rest(len(others), Series(by_name[others[0]].ts, summed))
