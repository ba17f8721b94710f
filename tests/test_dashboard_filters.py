"""The filter bar's values (time range presets, custom days in a zone) and the sparkline
geometry, without a browser."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from dashboard.components.filters import Filters
from dashboard.components.sparkline import HEIGHT, PAD, WIDTH, points

AT = int(datetime(2026, 9, 21, 14, 0, tzinfo=ZoneInfo("UTC")).timestamp())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"range": "custom", "start": "2026-09-10", "end": "2026-09-12"},
                     ("custom", "2026-09-10", "2026-09-12"), id="custom days in order are kept"),
        pytest.param({"range": "custom", "start": "2026-09-12", "end": "2026-09-10"},
                     ("7d", None, None), id="custom days out of order fall back to the default"),
        pytest.param({"range": "custom", "start": "2026-09-10"}, ("7d", None, None),
                     id="custom without a last day falls back to the default"),
        pytest.param({"range": "custom", "start": "2026-9-10", "end": "soon"}, ("7d", None, None),
                     id="custom days that are not dates fall back to the default"),
        pytest.param({"range": "30d", "start": "2026-09-10", "end": "2026-09-12"}, ("30d", None, None),
                     id="days without custom are dropped"),
    ],
)
def test_parse_keeps_only_a_valid_custom_range(query, expected):
    filters = Filters.parse(**query)
    assert (filters.range, filters.start, filters.end) == expected


def test_custom_span_runs_from_local_midnight_to_the_midnight_after_the_last_day():
    filters = Filters.parse(range="custom", start="2026-09-10", end="2026-09-12")
    start, end = filters.span(AT, "America/New_York")
    assert datetime.fromtimestamp(start, ZoneInfo("UTC")).isoformat() == "2026-09-10T04:00:00+00:00"
    assert datetime.fromtimestamp(end, ZoneInfo("UTC")).isoformat() == "2026-09-13T04:00:00+00:00"
    assert filters.describe() == "2026-09-10 to 2026-09-12"
    assert filters.query_string() == "?range=custom&start=2026-09-10&end=2026-09-12"


def test_custom_span_stops_at_now_and_lasts_a_day_at_least():
    today = Filters.parse(range="custom", start="2026-09-21", end="2026-09-25")
    assert today.span(AT, "UTC") == (AT - 14 * 3600, AT)
    future = Filters.parse(range="custom", start="2026-09-23", end="2026-09-25")
    assert future.span(AT, "UTC") == (AT - 86_400, AT)


def test_presets_end_now_and_keep_days_out_of_the_url():
    filters = Filters.parse(range="24h", team="payments")
    assert filters.span(AT, "Asia/Tokyo") == (AT - 86_400, AT)
    assert filters.describe() == "the last 24h"
    assert filters.query_string() == "?range=24h&team=payments"


def test_sparkline_points_span_the_box_and_break_at_missing_days():
    runs = points(np.array([1.0, 3.0, np.nan, 2.0, np.nan, np.nan, 3.0]))
    assert [len(run) for run in runs] == [2, 1, 1]
    xs = [x for run in runs for x, _ in run]
    ys = [y for run in runs for _, y in run]
    assert xs[0] == PAD and xs[-1] == WIDTH - PAD
    assert max(ys) == HEIGHT - PAD and min(ys) == PAD  # the lowest value at the bottom, the highest at the top
    assert runs[0][0][1] == HEIGHT - PAD and runs[0][1][1] == PAD
    assert points(np.array([np.nan, np.nan])) == []
    assert points(np.array([5.0, 5.0])) == [[(PAD, HEIGHT / 2), (WIDTH - PAD, HEIGHT / 2)]]
