"""The narrow seam in front of Prometheus: the one-method ``Source`` protocol.

Everything that reads time series (the collector, the golden-signal queries, tests with
a fake) goes through ``Source``. ``step_grid_chunks`` splits long ranges so that no
request asks for more points per series than the server returns, and no day kept as a
daily sum only is split between two; the collector writes each chunk with its watermark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sloboard.errors import ConfigError
from sloboard.store.sample_layout import DAY, day_end, floor_day

Labels = tuple[tuple[str, str], ...]

def make_labels(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    """Labels as a hashable tuple of ``(name, value)`` pairs, sorted by name."""
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    return tuple(sorted((str(k), str(v)) for k, v in pairs))


@dataclass(frozen=True, eq=False)
class SourceSeries:
    """One labelled time series: ``ts`` (int64 epoch seconds, ascending) and ``values`` (float64).

    Equality compares labels and both arrays (NaN equals NaN), so two fetches of the
    same data compare equal; a SourceSeries is not hashable because its arrays are mutable.
    """

    labels: Labels
    ts: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", make_labels(self.labels))
        object.__setattr__(self, "ts", np.asarray(self.ts, dtype=np.int64))
        object.__setattr__(self, "values", np.asarray(self.values, dtype=np.float64))
        if self.ts.shape != self.values.shape or self.ts.ndim != 1:
            raise ValueError(
                f"a series needs as many timestamps as values, got {self.ts.shape} and {self.values.shape}"
            )

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceSeries):
            return NotImplemented
        return (
            self.labels == other.labels
            and np.array_equal(self.ts, other.ts)
            and np.array_equal(self.values, other.values, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]


class Source(Protocol):
    """Where time series come from. Times are epoch seconds; ``step`` is seconds.

    ``query_range`` evaluates ``promql`` at ``start, start + step, ...`` up to and
    including ``end`` and returns one SourceSeries per label set. Implementations raise
    ``sloboard.errors.SourceError`` subclasses.
    """

    def query_range(self, promql: str, start: int, end: int, step: int) -> list[SourceSeries]: ...


def step_grid_chunks(
    start: int, end: int, step: int, max_points: int, days_through: int | None = None,
) -> list[tuple[int, int]]:
    """Split ``[start, end]`` into sub-ranges of at most ``max_points`` evaluation points.

    Every boundary lies on the grid ``start + k * step``; a chunk ends one step before
    the next one starts, so each grid point is asked for exactly once.

    With ``days_through`` (a UTC midnight), no UTC day ending at or before it has steps in
    two chunks: a chunk there holds as many whole days as fit in ``max_points`` and ends on
    a day's last grid point (the midnight itself when the step divides a day). A store
    that keeps those days as daily sums only (``sloboard.store.day_history``) then gets
    each of them whole, whenever its prune runs between two chunks. Later chunks are cut
    as without it. Raises ConfigError when a day there holds more than ``max_points`` steps.
    """
    if step <= 0:
        raise ValueError(f"step must be a positive number of seconds, got {step}")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    last = start + (end - start) // step * step  # the last grid point not after end
    chunks, lo = [], start
    while days_through is not None and lo <= last and day_end(lo) <= days_through:
        reach = lo + (max_points - 1) * step  # the furthest grid point one chunk may ask for
        if reach >= last:
            break  # the rest is one chunk: no boundary left to place
        # The last midnight with no grid point between reach and it: its day's last step is within reach.
        through = min(floor_day(reach + step - 1), days_through)
        if through < day_end(lo):
            raise ConfigError(
                f"a UTC day holds {-(-DAY // step)} steps of {step} s, more than the {max_points} points one "
                f"query may ask for (collect.max_points_per_query); days older than collect.golden_hourly_retention "
                f"are kept as daily sums only and must be collected whole: use a step of at least "
                f"{-(-DAY // max_points)} s, or a backfill (collect.backfill, --since) that does not reach them")
        hi = lo + (through - lo) // step * step
        chunks.append((lo, hi))
        lo = hi + step
    span = max_points * step
    return chunks + [(at, min(at + span - step, last)) for at in range(lo, last + 1, span)]
