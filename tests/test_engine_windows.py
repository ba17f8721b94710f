"""Window bounds: rolling windows, and calendar windows cut at local midnight across DST.

Expected instants are written out in UTC from the published DST rules (EU: last
Sunday of March 01:00 UTC and of October 01:00 UTC; US: second Sunday of March,
first Sunday of November), not computed with zoneinfo, so the test does not
repeat the code it checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sloboard.domain import Window
from sloboard.engine import period_bounds, period_length_s, window_bounds


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text + "+00:00").timestamp())


def calendar(unit: str, zone: str) -> Window:
    nominal = {"week": 7, "month": 30, "quarter": 90}[unit]
    return Window(duration=timedelta(days=nominal), calendar_unit=unit, timezone=zone)


@pytest.mark.parametrize(
    "window, at, start, end, hours",
    [
        pytest.param(calendar("week", "Europe/Berlin"), "2024-03-27T12:00:00", "2024-03-24T23:00:00",
                     "2024-03-31T22:00:00", 167, id="a Berlin week with the spring DST change lasts 167 hours"),
        pytest.param(calendar("week", "Europe/Berlin"), "2024-10-27T12:00:00", "2024-10-20T22:00:00",
                     "2024-10-27T23:00:00", 169, id="a Berlin week with the autumn DST change lasts 169 hours"),
        pytest.param(calendar("week", "Europe/Berlin"), "2024-03-31T21:59:00", "2024-03-24T23:00:00",
                     "2024-03-31T22:00:00", 167, id="late Sunday local time still belongs to the ISO week begun on Monday"),
        pytest.param(calendar("month", "Europe/Berlin"), "2024-03-15T00:00:00", "2024-02-29T23:00:00",
                     "2024-03-31T22:00:00", 31 * 24 - 1, id="March in Berlin starts at 23:00 UTC and is one hour short"),
        pytest.param(calendar("month", "Europe/Berlin"), "2024-03-31T22:00:00", "2024-02-29T23:00:00",
                     "2024-03-31T22:00:00", 31 * 24 - 1, id="evaluated exactly at the April boundary the window is all of March"),
        pytest.param(calendar("month", "Europe/Berlin"), "2024-03-31T22:00:01", "2024-03-31T22:00:00",
                     "2024-04-30T22:00:00", 30 * 24, id="one second after the boundary the window is April"),
        pytest.param(calendar("month", "Asia/Tokyo"), "2024-12-31T14:59:59", "2024-11-30T15:00:00",
                     "2024-12-31T15:00:00", 31 * 24, id="December in Tokyo ends at 15:00 UTC on New Year's Eve"),
        pytest.param(calendar("month", "Asia/Tokyo"), "2024-12-31T15:00:01", "2024-12-31T15:00:00",
                     "2025-01-31T15:00:00", 31 * 24, id="a month crosses into the next year"),
        pytest.param(calendar("quarter", "Europe/Berlin"), "2024-11-05T08:00:00", "2024-09-30T22:00:00",
                     "2024-12-31T23:00:00", 92 * 24 + 1, id="Q4 in Berlin gains the autumn hour"),
        pytest.param(calendar("quarter", "America/New_York"), "2024-02-29T12:00:00", "2024-01-01T05:00:00",
                     "2024-04-01T04:00:00", 91 * 24 - 1, id="Q1 of a leap year in New York loses the spring hour"),
        pytest.param(calendar("quarter", "America/New_York"), "2024-04-01T04:00:00", "2024-01-01T05:00:00",
                     "2024-04-01T04:00:00", 91 * 24 - 1, id="the quarter boundary instant belongs to the quarter it ends"),
        pytest.param(calendar("week", "UTC"), "2024-01-01T00:00:30", "2024-01-01T00:00:00",
                     "2024-01-08T00:00:00", 168, id="a UTC week starts on Monday midnight"),
    ],
)
def test_calendar_period(window, at, start, end, hours):
    at_epoch = utc(at)
    assert period_bounds(window, at_epoch) == (utc(start), utc(end))
    assert window_bounds(window, at_epoch) == (utc(start), at_epoch)
    assert period_length_s(window, at_epoch) == hours * 3600


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param(timedelta(days=28), id="a 28-day rolling window ends at the evaluation time"),
        pytest.param(timedelta(hours=1, minutes=30), id="a 90-minute rolling window ends at the evaluation time"),
    ],
)
def test_rolling_window_ends_at_evaluation_time(duration):
    at = utc("2024-03-31T01:30:00")  # a DST change in Europe does not matter to a rolling window
    window = Window(duration=duration, timezone="Europe/Berlin")
    seconds = int(duration.total_seconds())
    assert window_bounds(window, at) == (at - seconds, at)
    assert period_bounds(window, at) == (at - seconds, at)
    assert period_length_s(window, at) == seconds


def test_unknown_time_zone_names_the_zone():
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        window_bounds(calendar("month", "Mars/Olympus_Mons"), utc("2024-01-01T00:00:00"))


def test_unknown_calendar_unit_names_the_choices():
    window = Window(duration=timedelta(days=365), calendar_unit="year")
    with pytest.raises(ValueError, match="week, month, quarter"):
        window_bounds(window, utc("2024-01-01T00:00:00"))
