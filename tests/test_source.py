"""The Source seam: SourceSeries, and step-grid chunking over a fake Source (collectors.source)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.source import SourceSeries, step_grid_chunks


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
