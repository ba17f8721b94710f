"""The Source seam: SourceSeries, and step-grid chunking over a fake Source (collectors.source)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.source import SourceSeries, step_grid_chunks
from sloboard.errors import ConfigError

DAY = 86_400
MIDNIGHT = 1_800_000_000 - 1_800_000_000 % DAY


def fetch_in_chunks(source, promql, start, end, step, max_points):
    """What a collection pass does: one request per grid chunk, joined per label set."""
    pieces = {}
    for lo, hi in step_grid_chunks(start, end, step, max_points):
        for series in source.query_range(promql, lo, hi, step):
            pieces.setdefault(series.labels, []).append(series)
    return [
        SourceSeries(labels, np.concatenate([s.ts for s in group]), np.concatenate([s.values for s in group]))
        for labels, group in pieces.items()
    ]


class GridSource:
    """A fake Source: series ``a`` has a point at every step, ``b`` only at even minutes.

    The value at t is t itself, so any duplicated, missing or misplaced point shows.
    """

    def __init__(self):
        self.requests: list[tuple[int, int, int]] = []

    def query_range(self, promql, start, end, step):
        self.requests.append((start, end, step))
        ts = np.arange(start, end + 1, step, dtype=np.int64)
        even = ts[ts % 120 == 0]
        result = [SourceSeries({"s": "a"}, ts, ts.astype(float))]
        if len(even):
            result.append(SourceSeries({"s": "b"}, even, even.astype(float)))
        return result


@given(
    start=st.integers(0, 10_000).map(lambda m: m * 60),
    points=st.integers(1, 3_000),
    step=st.sampled_from([15, 60, 300]),
    max_points=st.integers(1, 500),
)
def test_chunked_fetch_equals_one_unchunked_fetch(start, points, step, max_points):
    end = start + (points - 1) * step + step // 2  # an end off the grid is rounded down
    fake = GridSource()
    chunked = fetch_in_chunks(fake, "q", start, end, step, max_points)
    assert chunked == GridSource().query_range("q", start, end, step)
    assert all((hi - lo) // step + 1 <= max_points for lo, hi, _ in fake.requests)
    assert all((lo - start) % step == 0 and (hi - start) % step == 0 for lo, hi, _ in fake.requests)


@pytest.mark.parametrize(
    ("start", "end", "step", "max_points", "expected"),
    [
        pytest.param(0, 540, 60, 5, [(0, 240), (300, 540)], id="ten points in chunks of five"),
        pytest.param(0, 600, 60, 5, [(0, 240), (300, 540), (600, 600)], id="a last chunk of one point"),
        pytest.param(0, 599, 60, 5, [(0, 240), (300, 540)], id="an end off the grid is rounded down"),
        pytest.param(120, 120, 60, 11_000, [(120, 120)], id="a single point is one chunk"),
    ],
)
def test_step_grid_chunks(start, end, step, max_points, expected):
    assert step_grid_chunks(start, end, step, max_points) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param((60, 0, 60, 10), "ends", id="a range that ends before it starts is refused"),
        pytest.param((0, 60, 0, 10), "step", id="a zero step is refused"),
        pytest.param((0, 60, 60, 0), "max_points", id="zero points per chunk is refused"),
    ],
)
def test_step_grid_chunks_refuses_nonsense(args, message):
    with pytest.raises(ValueError, match=message):
        step_grid_chunks(*args)


def _day_of(ts: int) -> int:
    """The end of the UTC day holding the step ending at ``ts``, computed apart from the product's helpers."""
    return (ts + DAY - 1) // DAY * DAY


@given(
    start=st.integers(0, 40 * DAY),
    points=st.integers(1, 40_000),
    step=st.sampled_from([7, 15, 60, 300, 1000, 3600]),
    spare=st.integers(0, 30_000),
    horizon_day=st.integers(-5, 60),
)
def test_chunks_hold_whole_days_up_to_the_horizon_and_tile_the_range(start, points, step, spare, horizon_day):
    start = MIDNIGHT - 30 * DAY + start // step * step
    end = start + (points - 1) * step + step // 2
    max_points = -(-DAY // step) + spare  # a day always fits
    days_through = MIDNIGHT - 30 * DAY + horizon_day * DAY
    chunks = step_grid_chunks(start, end, step, max_points, days_through)
    # They tile the grid points of [start, end] exactly, each asking for at most max_points.
    assert chunks[0][0] == start and chunks[-1][1] == start + (end - start) // step * step
    assert all(b[0] == a[1] + step for a, b in zip(chunks, chunks[1:]))
    assert all(lo <= hi and (hi - lo) % step == 0 and (hi - lo) // step + 1 <= max_points for lo, hi in chunks)
    for (lo, hi), (next_lo, _) in zip(chunks, chunks[1:]):
        if _day_of(hi) <= days_through:
            # No day up to the horizon has steps in two chunks: the chunk ends on its day's last step...
            assert _day_of(next_lo) == _day_of(hi) + DAY
            assert hi % DAY == 0 or DAY % step  # ...which is the midnight itself when the step divides a day
            # ...and holds as many whole days as fit: one more day would be too many points.
            if _day_of(hi) + DAY <= days_through:
                assert (min(_day_of(hi) + DAY, chunks[-1][1]) - lo) // step + 1 > max_points
    # Past the horizon the chunks are those of a plain split from where the whole days stop.
    after = [c for c in chunks if _day_of(c[0]) > days_through or c[1] == chunks[-1][1]]
    assert after == step_grid_chunks(after[0][0], end, step, max_points)
    assert chunks == step_grid_chunks(start, end, step, max_points, None) or start <= days_through


@pytest.mark.parametrize(
    ("start", "end", "step", "max_points", "days_through", "expected"),
    [
        pytest.param(MIDNIGHT + 17 * 60, MIDNIGHT + 20 * DAY, 60, 11_000, MIDNIGHT + 30 * DAY,
                     [(MIDNIGHT + 17 * 60, MIDNIGHT + 7 * DAY), (MIDNIGHT + 7 * DAY + 60, MIDNIGHT + 14 * DAY),
                      (MIDNIGHT + 14 * DAY + 60, MIDNIGHT + 20 * DAY)],
                     id="1-minute steps: 7 days (10,080 points) per chunk, ending at midnight"),
        pytest.param(MIDNIGHT + 60, MIDNIGHT + 3 * DAY, 60, 2_000, MIDNIGHT + DAY,
                     [(MIDNIGHT + 60, MIDNIGHT + DAY), (MIDNIGHT + DAY + 60, MIDNIGHT + DAY + 120_000),
                      (MIDNIGHT + DAY + 120_060, MIDNIGHT + 3 * DAY)],
                     id="whole days up to the horizon, then chunks of max_points as without one"),
        pytest.param(MIDNIGHT + 60, MIDNIGHT + 3 * DAY, 60, 11_000, MIDNIGHT + 3 * DAY,
                     [(MIDNIGHT + 60, MIDNIGHT + 3 * DAY)], id="a range that fits one query stays one chunk"),
        pytest.param(MIDNIGHT + 60, MIDNIGHT + 3 * DAY, 60, 11_000, MIDNIGHT - DAY,
                     [(MIDNIGHT + 60, MIDNIGHT + 3 * DAY)], id="a range past the horizon is split as without one"),
        pytest.param(MIDNIGHT + 7, MIDNIGHT + 2 * DAY, 7, 20_000, MIDNIGHT + 2 * DAY,
                     [(MIDNIGHT + 7, MIDNIGHT + DAY - 6), (MIDNIGHT + DAY + 1, MIDNIGHT + 2 * DAY - 5)],
                     id="a step that does not divide a day ends each chunk on its day's last step"),
    ],
)
def test_day_aligned_chunks(start, end, step, max_points, days_through, expected):
    assert step_grid_chunks(start, end, step, max_points, days_through) == expected


def test_a_day_with_more_steps_than_a_query_may_ask_for_is_refused_with_the_settings_to_change():
    with pytest.raises(ConfigError, match=r"a UTC day holds 17280 steps of 5 s, more than the 11000 points .*"
                                          r"use a step of at least 8 s"):
        step_grid_chunks(MIDNIGHT + 5, MIDNIGHT + 3 * DAY, 5, 11_000, MIDNIGHT + 2 * DAY)
    # The same step is fine where no day is kept as a daily sum only, and for the part of a day that fits.
    assert len(step_grid_chunks(MIDNIGHT + 5, MIDNIGHT + 3 * DAY, 5, 11_000, None)) == 5  # 51,840 points
    assert step_grid_chunks(MIDNIGHT + DAY - 500, MIDNIGHT + DAY, 5, 11_000, MIDNIGHT + 2 * DAY) == [
        (MIDNIGHT + DAY - 500, MIDNIGHT + DAY)]


def test_series_labels_are_sorted_pairs_and_arrays_are_typed():
    s = SourceSeries({"b": "2", "a": "1"}, [60, 120], [1, 2])
    assert s.labels == (("a", "1"), ("b", "2"))
    assert s.ts.dtype == np.int64 and s.values.dtype == np.float64
    assert s.label_map == {"a": "1", "b": "2"}


def test_series_equality_treats_nan_as_equal_and_compares_values():
    a = SourceSeries({}, [60, 120], [1.0, np.nan])
    assert a == SourceSeries({}, [60, 120], [1.0, np.nan])
    assert a != SourceSeries({}, [60, 120], [1.0, 2.0])
    assert a != SourceSeries({"x": "1"}, [60, 120], [1.0, np.nan])


def test_series_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="as many timestamps as values"):
        SourceSeries({}, [60, 120], [1.0])
