"""Per-step good/total counts: sums over windows that end together, and the steps of one window.

Data convention shared with the store and the collectors: ``ts`` (int64 epoch
seconds, sorted, the END of each step: a sample at ``ts`` covers ``(ts - step, ts]``),
``good`` and ``total`` (float64 event counts per step). A step without data is
absent or NaN, never 0. A step counts as data only when both counts are numbers.

A row may also stand for several steps: an hourly rollup row holds the sums of the
steps in ``(ts - 3600, ts]`` and how many there were (``step_counts``). Window sums
are the same either way, as long as no window starts inside such a row
(``sloboard.reads.plan`` plans its reads so); only the count of steps with data
needs the counts.

Why segment sums rather than one cumulative sum: a status needs a handful of
windows (the SLO window and the alert windows), all ending at the same instant.
Their starts cut the rows into segments; one ``np.add.reduceat`` sums every
segment in a single pass that writes one number per segment, while ``np.cumsum``
is a sequential scan that also allocates its output (measured over 40,000 steps,
one cumsum costs about six plain sums). Adding the segment sums up from the end
also keeps a short window's sum free of the rounding of the long ones, which a
difference of two cumulative sums is not. Series with one window per step
(``sloboard.engine.series``) use cumulative sums and ``np.searchsorted`` instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np


class Counts(NamedTuple):
    """Events and steps with data in one window.

    A named tuple rather than a dataclass: a status builds one per window, and a
    tuple is several times cheaper to build.
    """

    good: float
    total: float
    steps: int  # steps with data

    @property
    def bad(self) -> float:
        return self.total - self.good


def as_rows(ts, good, total, step_counts=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows as int64/float64/float64(/int64) arrays, checked to be 1-d and of one length (no copies
    when they already are)."""
    ts = np.asarray(ts, dtype=np.int64)
    good = np.asarray(good, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    counts = None if step_counts is None else np.asarray(step_counts, dtype=np.int64)
    if not (ts.shape == good.shape == total.shape) or ts.ndim != 1 or (counts is not None and counts.shape != ts.shape):
        shapes = [a.shape for a in (ts, good, total, counts) if a is not None]
        raise ValueError(
            f"ts, good, total (and step_counts) must be 1-d arrays of one length; got shapes {', '.join(map(str, shapes))}"
        )
    return ts, good, total, counts


def trailing_counts(ts, good, total, starts: Sequence[int], end: int, step_counts=None) -> list[Counts]:
    """Counts over ``(start, end]`` for each of ``starts`` (each at most ``end``), in the order given.

    Rows without data are left out of every sum; ``steps`` adds up ``step_counts``
    (one step per row when None). The windows nest, since they all end at ``end``:
    sorted by start, consecutive starts cut the rows into segments, and a window's
    sums are those of the segments after its start, added up from the last one.
    """
    ts, good, total, step_counts = as_rows(ts, good, total, step_counts)
    cuts = sorted(starts)  # a repeated start makes an empty segment
    bounds = ts.searchsorted(cuts + [end], side="right").tolist()  # segment j: rows bounds[j]:bounds[j + 1]
    firsts = [lo for lo, hi in zip(bounds, bounds[1:]) if lo < hi]  # first row of each segment with rows
    sums = _segment_sums(good, total, step_counts, firsts, bounds[-1])

    # From the latest cut back: a cut's window is its own segment plus the window of the next cut.
    windows: dict[int, Counts] = {}
    good_sum, total_sum, steps_sum = 0.0, 0.0, 0
    segment = len(firsts)
    for j in range(len(cuts) - 1, -1, -1):
        if bounds[j] < bounds[j + 1]:
            segment -= 1
            good_sum += sums[0][segment]
            total_sum += sums[1][segment]
            steps_sum += sums[2][segment]
        windows[cuts[j]] = Counts(good_sum, total_sum, steps_sum)
    return [windows[start] for start in starts]


def _segment_sums(good, total, step_counts, firsts: list[int], end_row: int) -> tuple[list, list, list]:
    """Good, total and steps with data of each segment: rows ``firsts[i]:firsts[i + 1]``, the last up to ``end_row``."""
    if not firsts:
        return [], [], []
    lo = firsts[0]
    offsets = [first - lo for first in firsts]
    good, total = good[lo:end_row], total[lo:end_row]
    steps = None if step_counts is None else step_counts[lo:end_row]
    good_sums, total_sums = _add_segments(good, offsets), _add_segments(total, offsets)
    # A NaN row makes its segment's sum NaN, and so this check: only then are the rows
    # masked, which the store's rows (never NaN) do not need.
    if math.isnan(sum(good_sums) + sum(total_sums)):
        has_data = ~(np.isnan(good) | np.isnan(total))
        good_sums = _add_segments(np.where(has_data, good, 0.0), offsets)
        total_sums = _add_segments(np.where(has_data, total, 0.0), offsets)
        steps = has_data.astype(np.int64) if steps is None else np.where(has_data, steps, 0)
    if steps is None:  # one step per row, each with data: a segment's steps are its rows
        return good_sums, total_sums, [b - a for a, b in zip(offsets, offsets[1:] + [good.size])]
    return good_sums, total_sums, _add_segments(steps, offsets)


def _add_segments(values: np.ndarray, offsets: list[int]) -> list:
    """The sum of each segment of ``values``, ``offsets`` being their first rows (the last runs to the end)."""
    if len(offsets) == values.size:  # one row per segment (reads summed per segment): nothing to add
        return values.tolist()
    return np.add.reduceat(values, offsets).tolist()


@dataclass(frozen=True)
class Steps:
    """The rows with ``start < ts <= end`` (views, not copies) and which of them have data.

    Steps without data are flagged in ``has_data``; the budgeting methods zero them
    (:meth:`zero_filled`), so they add nothing to good nor to bad.
    """

    ts: np.ndarray
    good: np.ndarray  # may hold NaN where has_data is False
    total: np.ndarray
    has_data: np.ndarray

    @classmethod
    def between(cls, ts, good, total, start: int, end: int) -> "Steps":
        ts, good, total, _ = as_rows(ts, good, total)
        lo, hi = ts.searchsorted(start, side="right"), ts.searchsorted(end, side="right")
        g, t = good[lo:hi], total[lo:hi]
        return cls(ts[lo:hi], g, t, ~(np.isnan(g) | np.isnan(t)))

    def zero_filled(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of good and total with 0 for the steps without data, for cumulative sums."""
        return np.where(self.has_data, self.good, 0.0), np.where(self.has_data, self.total, 0.0)


def completeness(steps_with_data: int, start: int, end: int, step_s: int) -> float:
    """Share of the expected steps in ``(start, end]`` that have data.

    expected = (end - start) // step_s. NaN when nothing at all is there, so a
    silent source reads "no data" like every other field of the status; capped at
    1 when a source returns more samples than the grid holds.
    """
    expected = (end - start) // step_s
    if steps_with_data == 0 or expected <= 0:
        return float("nan")
    return min(1.0, steps_with_data / expected)
