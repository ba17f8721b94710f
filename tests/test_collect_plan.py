"""Planning a collection pass: ranges, chunks and the step grid (pure functions)."""

import numpy as np
import pytest

from collectors.collect import plan_range
from collectors.source import SourceSeries
from collectors.targets import grid


@pytest.mark.parametrize(
    "watermark, until, since_s, step, expected",
    [
        pytest.param(None, 1_000_030, 3600, 60, (996_420 + 60, 999_960 + 60), id="first run backfills since, on the step grid"),
        pytest.param(999_900, 1_000_030, 3600, 60, (999_960, 1_000_020), id="later run resumes one step after the watermark"),
        pytest.param(1_000_020, 1_000_030, 3600, 60, (1_000_080, 1_000_020), id="up to date gives an empty range"),
    ],
)
def test_plan_range(watermark, until, since_s, step, expected):
    assert plan_range(watermark, until, since_s, step) == expected


def test_first_run_covers_exactly_the_backfill_window():
    first, end = plan_range(None, 7200, 3600, 60)
    # Points are step ends: the first covers (3600, 3660], the last (7140, 7200].
    assert (first - 60, end) == (3600, 7200)


def test_grid_sums_series_and_keeps_missing_steps_missing():
    a = SourceSeries((("route", "a"),), [60, 120, 240], [1.0, 2.0, 4.0])
    b = SourceSeries((("route", "b"),), [120, 180], [10.0, np.nan])
    out = grid([a, b], 60, 300, 60)
    expected = np.array([1.0, 12.0, np.nan, 4.0, np.nan])
    assert np.array_equal(out, expected, equal_nan=True)


def test_grid_without_series_is_all_missing_not_zero():
    assert np.isnan(grid([], 0, 600, 60)).all()
