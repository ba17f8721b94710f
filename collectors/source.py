"""The narrow seam in front of Prometheus: the one-method ``Source`` protocol.

Everything that reads time series (the collector, the golden-signal queries, tests with
a fake) goes through ``Source``. ``step_grid_chunks`` splits long ranges so that no
request asks for more points per series than the server returns; the collector writes
each chunk with its watermark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

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


def step_grid_chunks(start: int, end: int, step: int, max_points: int) -> list[tuple[int, int]]:
    """Split ``[start, end]`` into sub-ranges of at most ``max_points`` evaluation points.

    Every boundary lies on the grid ``start + k * step``; a chunk ends one step before
    the next one starts, so each grid point is asked for exactly once.
    """
    if step <= 0:
        raise ValueError(f"step must be a positive number of seconds, got {step}")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    last = start + (end - start) // step * step  # the last grid point not after end
    span = max_points * step
    return [(lo, min(lo + span - step, last)) for lo in range(start, last + 1, span)]
