"""Report periods: ISO weeks, months and quarters cut at local midnight, DST included."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from reports.periods import PeriodError, last_complete, parse_period
from sloboard.errors import InputError

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _epoch(*parts, tz=UTC) -> int:
    return int(datetime(*parts, tzinfo=tz).timestamp())


@pytest.mark.parametrize(
    "kind, text, tz, start, end",
    [
        pytest.param("weekly", "2026-W47", "UTC", _epoch(2026, 11, 16), _epoch(2026, 11, 23), id="an ISO week is Monday to Monday"),
        pytest.param("weekly", "2026-W01", "UTC", _epoch(2025, 12, 29), _epoch(2026, 1, 5), id="ISO week 1 may start in December"),
        pytest.param("weekly", "2026-W53", "UTC", _epoch(2026, 12, 28), _epoch(2027, 1, 4), id="2026 has a week 53"),
        pytest.param("monthly", "2026-10", "UTC", _epoch(2026, 10, 1), _epoch(2026, 11, 1), id="a month in UTC"),
        pytest.param("monthly", "2026-12", "UTC", _epoch(2026, 12, 1), _epoch(2027, 1, 1), id="December ends in the next year"),
        pytest.param("quarterly", "2026-Q4", "UTC", _epoch(2026, 10, 1), _epoch(2027, 1, 1), id="a quarter in UTC"),
        pytest.param("monthly", "2026-10", "Europe/Berlin", _epoch(2026, 10, 1, tz=BERLIN), _epoch(2026, 11, 1, tz=BERLIN),
                     id="a month in Berlin starts at local midnight"),
    ],
)
def test_periods_are_cut_at_local_midnight(kind, text, tz, start, end):
    period = parse_period(kind, text, tz)
    assert (period.kind, period.label, period.start, period.end, period.timezone) == (kind, text, start, end, tz)


def test_a_berlin_october_lasts_one_hour_more_than_31_days():
    # Summer time ends on 25 October 2026: 02:00 CEST becomes 01:00 CET.
    period = parse_period("monthly", "2026-10", "Europe/Berlin")
    assert period.end - period.start == 31 * 86400 + 3600
    assert period.start == _epoch(2026, 9, 30, 22)  # 00:00 CEST (UTC+2)
    assert period.end == _epoch(2026, 10, 31, 23)  # 00:00 CET (UTC+1)


def test_a_berlin_week_that_springs_forward_lasts_167_hours():
    # 29 March 2026, Sunday of ISO week 13: 02:00 CET becomes 03:00 CEST.
    period = parse_period("weekly", "2026-W13", "Europe/Berlin")
    assert period.end - period.start == 167 * 3600
    assert datetime.fromtimestamp(period.start, BERLIN).timetuple()[:5] == (2026, 3, 23, 0, 0)
    assert datetime.fromtimestamp(period.end, BERLIN).timetuple()[:5] == (2026, 3, 30, 0, 0)


def test_a_new_york_quarter_crossing_both_dst_changes():
    q1 = parse_period("quarterly", "2026-Q1", "America/New_York")  # springs forward on 8 March
    q4 = parse_period("quarterly", "2026-Q4", "America/New_York")  # falls back on 1 November
    assert q1.end - q1.start == 90 * 86400 - 3600
    assert q4.end - q4.start == 92 * 86400 + 3600
    assert q1.start == _epoch(2026, 1, 1, 5)


@pytest.mark.parametrize(
    "kind, at, tz, label",
    [
        pytest.param("weekly", _epoch(2026, 11, 25, 9), "UTC", "2026-W47", id="mid-week: the week before"),
        pytest.param("weekly", _epoch(2026, 11, 23), "UTC", "2026-W47", id="exactly at Monday 00:00 the week just ended is complete"),
        pytest.param("weekly", _epoch(2026, 11, 22, 23, 59, 59), "UTC", "2026-W46", id="one second before it is not"),
        pytest.param("monthly", _epoch(2026, 11, 1, 8), "UTC", "2026-10", id="the 1st: last month"),
        pytest.param("monthly", _epoch(2026, 1, 15), "UTC", "2025-12", id="January: last December"),
        pytest.param("quarterly", _epoch(2026, 10, 1, 8), "UTC", "2026-Q3", id="the first day of Q4: Q3"),
        pytest.param("quarterly", _epoch(2026, 2, 1), "UTC", "2025-Q4", id="in Q1: last year's Q4"),
        # 1 November 00:30 in Berlin is still 31 October in UTC: the zone decides.
        pytest.param("monthly", _epoch(2026, 10, 31, 23, 30), "Europe/Berlin", "2026-10", id="the zone decides which month ended"),
        pytest.param("monthly", _epoch(2026, 10, 31, 23, 30), "UTC", "2026-09", id="the same instant in UTC"),
    ],
)
def test_the_default_is_the_last_complete_period(kind, at, tz, label):
    period = last_complete(kind, at, tz)
    assert period.label == label
    assert period == parse_period(kind, label, tz)
    assert period.is_complete(at)


def test_previous_periods_chain_without_gaps():
    period = parse_period("weekly", "2026-W02", "Europe/Berlin")
    before = period.previous()
    assert (before.label, before.end) == ("2026-W01", period.start)
    assert before.previous().label == "2025-W52"
    assert parse_period("quarterly", "2026-Q1", "UTC").previous().label == "2025-Q4"


@pytest.mark.parametrize(
    "kind, text, message",
    [
        pytest.param("weekly", "2026-10", "period '2026-10' is not a week: weekly reports take a period like 2026-W47",
                     id="a month for a weekly report"),
        pytest.param("monthly", "2026-W47", "period '2026-W47' is not a month: monthly reports take a period like 2026-10",
                     id="a week for a monthly report"),
        pytest.param("quarterly", "2026-Q5", "period '2026-Q5' does not exist: quarters are Q1 to Q4", id="quarter 5"),
        pytest.param("monthly", "2026-13", "period '2026-13' does not exist: months are 01 to 12", id="month 13"),
        pytest.param("weekly", "2025-W53", "period '2025-W53' does not exist: 2025 has ISO weeks W01 to W52",
                     id="week 53 of a year with 52"),
        pytest.param("weekly", "2026-W00", "does not exist", id="week 0"),
        pytest.param("monthly", "1969-12", "the year must lie between 1970 and 9998", id="before the epoch"),
        pytest.param("monthly", "", "is not a month", id="empty"),
        pytest.param("daily", "2026-10-01", "unknown report kind 'daily'; use one of weekly, monthly, quarterly",
                     id="an unknown kind"),
    ],
)
def test_a_bad_period_is_one_clear_line_and_input_error(kind, text, message):
    with pytest.raises(PeriodError) as caught:
        parse_period(kind, text, "UTC")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, InputError) and caught.value.exit_code == 2
