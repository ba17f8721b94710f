"""``trailing_counts``: the sums of windows that all end at one instant, against masked numpy sums
of each window on its own; and ``evaluate`` over one summed row per segment against the raw steps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sloboard.engine import evaluate
from sloboard.engine.evaluate import window_starts
from sloboard.engine.steps import trailing_counts
from tests.factories import make_slo

END = 10_000


def masked_counts(ts, good, total, step_counts, start, end):
    """(good, total, steps with data) of the rows in ``(start, end]`` whose counts are both numbers."""
    inside = (ts > start) & (ts <= end) & ~np.isnan(good) & ~np.isnan(total)
    steps = np.ones(ts.size, dtype=np.int64) if step_counts is None else step_counts
    return float(good[inside].sum()), float(total[inside].sum()), int(steps[inside].sum())


@st.composite
def rows(draw):
    """Sorted distinct times around END, whole counts (so every sum is exact), some rows NaN."""
    ts = np.array(sorted(draw(st.sets(st.integers(0, END + 50), max_size=60))), dtype=np.int64)
    counts = arrays(np.float64, ts.size, elements=st.integers(0, 10**6).map(float))
    good, total = draw(counts), draw(counts)
    holes = draw(arrays(np.bool_, ts.size))
    good = np.where(holes & draw(arrays(np.bool_, ts.size)), np.nan, good)
    total = np.where(holes, np.nan, total)
    step_counts = draw(st.one_of(st.none(), arrays(np.int64, ts.size, elements=st.integers(1, 60))))
    return ts, good, total, step_counts


@settings(max_examples=300, deadline=None)
@given(rows(), st.lists(st.integers(-10, END), min_size=1, max_size=9))
def test_every_window_equals_its_own_masked_sum(data, starts):
    """Starts in any order, repeated, before every row or after them all; rows with NaN in either count."""
    ts, good, total, step_counts = data
    got = trailing_counts(ts, good, total, starts, END, step_counts)

    assert [tuple(c) for c in got] == [masked_counts(ts, good, total, step_counts, s, END) for s in starts]


@pytest.mark.parametrize("step_counts", [None, np.array([60, 60, 30, 1, 5])], ids=["one step a row", "rollup rows"])
def test_one_row_per_segment_is_summed_like_many(step_counts):
    """Rows that end exactly at the cuts: each segment holds one row, so there is nothing to add up per segment."""
    starts = [9_000, 9_900, 9_990, 9_999]
    ts = np.array([9_000, 9_900, 9_990, 9_999, END])
    good, total = np.array([1.0, 2.0, 4.0, 8.0, 16.0]), np.array([10.0, 20.0, 40.0, 80.0, 160.0])

    got = trailing_counts(ts, good, total, [5_000] + starts, END, step_counts)

    steps = [1, 1, 1, 1, 1] if step_counts is None else step_counts.tolist()
    assert got[0] == (31.0, 310.0, sum(steps))  # the first row ends at 9,000: inside (5,000, END]
    assert [tuple(c) for c in got[1:]] == [(30.0, 300.0, sum(steps[1:])), (28.0, 280.0, sum(steps[2:])),
                                           (24.0, 240.0, sum(steps[3:])), (16.0, 160.0, steps[4])]


def test_no_rows_in_any_window_count_nothing():
    ts = np.array([10, 20], dtype=np.int64)
    got = trailing_counts(ts, np.array([1.0, 2.0]), np.array([3.0, 4.0]), [30, 50], 60)
    assert [tuple(c) for c in got] == [(0.0, 0.0, 0), (0.0, 0.0, 0)]
    assert all(isinstance(c.good, float) and isinstance(c.total, float) for c in got)


def test_one_summed_row_per_segment_gives_the_status_of_the_raw_steps():
    """A read that sums each segment between consecutive window starts into one row (with its count of
    steps with data) holds everything ``evaluate`` needs for Occurrences: the same status, to the bit."""
    at = 1_700_006_400
    ts = at - 60 * np.arange(29 * 1440, dtype=np.int64)[::-1]
    rng = np.random.default_rng(5)
    total = rng.integers(0, 2_000, ts.size).astype(float)
    good = total - rng.binomial(total.astype(np.int64), 0.002)
    good[-2_000:-1_500] = np.nan  # a gap of the collector inside the 3-day window
    slo = make_slo()

    cuts = sorted(set(window_starts(slo, at))) + [at]
    bounds = np.searchsorted(ts, cuts, side="right")
    has_data = ~np.isnan(good)
    summed = [(cut, good[lo:hi][has_data[lo:hi]].sum(), total[lo:hi][has_data[lo:hi]].sum(), has_data[lo:hi].sum())
              for cut, lo, hi in zip(cuts[1:], bounds[:-1], bounds[1:])]
    seg_ts, seg_good, seg_total, seg_steps = (np.array(column) for column in zip(*summed))

    raw = evaluate(slo, ts, good, total, at)
    per_segment = evaluate(slo, seg_ts, seg_good, seg_total, at, step_counts=seg_steps)

    assert seg_ts.size == len(cuts) - 1
    assert per_segment == raw
    assert raw.data_completeness == 1 - 500 / (28 * 1440)
    assert raw.total == float(np.nansum(np.where(has_data, total, np.nan)[ts > at - 28 * 86400]))
