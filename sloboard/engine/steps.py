"""Per-step good/total counts, cut to the span an evaluation needs, and sums over windows.

Data convention shared with the store and the collectors: ``ts`` (int64 epoch
seconds, sorted, the END of each step: a sample at ``ts`` covers ``(ts - step, ts]``),
``good`` and ``total`` (float64 event counts per step). A step without data is
absent or NaN, never 0. A step counts as data only when both counts are numbers.

Steps without data are flagged in ``has_data`` and left out of every sum
(``np.sum(..., where=has_data)``), so they add nothing to good nor to bad; the
arrays are never copied on the way.

A row may also stand for several steps: an hourly rollup row holds the sums of the
steps in ``(ts - 3600, ts]`` and how many there were (``step_counts``). Window sums
are the same either way, as long as no window starts inside such a row
(``sloboard.window_reads`` plans its reads so); only the count of steps with data
needs the counts.

Why slice sums here rather than one cumulative sum: a status needs at most a
handful of windows (the SLO window and the alert windows). A masked ``np.sum``
over a slice is a vectorised reduction that writes nothing, while ``np.cumsum``
is a sequential scan that also allocates its output; measured over 40,000
steps, one cumsum costs about six masked sums. Series with one window per step
(``sloboard.engine.series``) use cumulative sums and ``np.searchsorted`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Counts:
    """Events and steps with data in one window."""

    good: float
    total: float
    steps: int  # steps with data

    @property
    def bad(self) -> float:
        return self.total - self.good


@dataclass(frozen=True)
class Steps:
    """The rows with ``start < ts <= end`` (views, not copies) and which of them have data.

    ``step_counts`` says how many steps each row stands for; None means one each.
    ``gaps`` is False when every row is known to have data (what the store returns),
    so sums need no mask.
    """

    ts: np.ndarray
    good: np.ndarray  # may hold NaN where has_data is False
    total: np.ndarray
    has_data: np.ndarray
    step_counts: np.ndarray | None = None
    gaps: bool = True

    @classmethod
    def between(cls, ts, good, total, start: int, end: int, step_counts=None) -> "Steps":
        ts = np.asarray(ts, dtype=np.int64)
        good = np.asarray(good, dtype=np.float64)
        total = np.asarray(total, dtype=np.float64)
        counts = None if step_counts is None else np.asarray(step_counts, dtype=np.int64)
        if not (ts.shape == good.shape == total.shape) or ts.ndim != 1 or (counts is not None and counts.shape != ts.shape):
            shapes = [a.shape for a in (ts, good, total, counts) if a is not None]
            raise ValueError(
                f"ts, good, total (and step_counts) must be 1-d arrays of one length; got shapes {', '.join(map(str, shapes))}"
            )
        lo, hi = ts.searchsorted(start, side="right"), ts.searchsorted(end, side="right")
        g, t = good[lo:hi], total[lo:hi]
        has_data = ~(np.isnan(g) | np.isnan(t))
        return cls(ts[lo:hi], g, t, has_data, None if counts is None else counts[lo:hi], not has_data.all())

    def within(self, start: int, end: int) -> "Steps":
        """The rows of the window ``(start, end]``, without copying."""
        # Two scalar searches: a status asks this for every window, and building an
        # array of the two bounds would cost more than both searches on hourly rows.
        lo, hi = self.ts.searchsorted(start, side="right"), self.ts.searchsorted(end, side="right")
        counts = None if self.step_counts is None else self.step_counts[lo:hi]
        return Steps(self.ts[lo:hi], self.good[lo:hi], self.total[lo:hi], self.has_data[lo:hi], counts, self.gaps)

    def counts(self) -> Counts:
        """Sums over all the rows, leaving out those without data; ``steps`` adds up ``step_counts``."""
        # np.add.reduce rather than ndarray.sum: the same sum without a Python wrapper,
        # which on hourly rows costs as much as the sum itself; no mask without gaps.
        where = self.has_data if self.gaps else True
        if self.step_counts is None:
            steps = int(np.count_nonzero(self.has_data)) if self.gaps else int(self.ts.size)
        else:
            steps = int(np.add.reduce(self.step_counts, where=where))
        return Counts(
            good=float(np.add.reduce(self.good, where=where)),
            total=float(np.add.reduce(self.total, where=where)),
            steps=steps,
        )

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
