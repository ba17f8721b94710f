"""Cost math, checked against sums, month lengths and epochs worked out by hand."""

from __future__ import annotations

import math
import zoneinfo
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sloboard.engine.cost import (
    budget_state,
    cost_in_window,
    forecast_month,
    month_bounds,
)
from sloboard.errors import InputError

HOUR = 3600


def utc(*fields: int) -> int:
    """Epoch seconds of a UTC wall time, written out by hand in the tests."""
    return int(datetime(*fields, tzinfo=timezone.utc).timestamp())


def hourly(start: int, hours: int, usd_per_hour) -> tuple[np.ndarray, np.ndarray]:
    """Samples whose steps end at start + 1 h, start + 2 h, ... (the end-of-step convention)."""
    ts = start + HOUR * np.arange(1, hours + 1, dtype=np.int64)
    usd = np.broadcast_to(np.asarray(usd_per_hour, dtype=np.float64), ts.shape).copy()
    return ts, usd


# --- cost in a window -------------------------------------------------------------------


def test_cost_in_window_counts_steps_ending_inside_it():
    t0 = utc(2026, 3, 1)
    ts, usd = hourly(t0, 48, np.arange(1, 49))  # the step ending at t0 + k h cost $k
    # [t0 + 10 h, t0 + 20 h) holds the steps ending at 11 h ... 20 h: 11 + ... + 20 = 155.
    assert cost_in_window(ts, usd, t0 + 10 * HOUR, t0 + 20 * HOUR) == 155.0
    # The whole series: 1 + ... + 48 = 48 * 49 / 2.
    assert cost_in_window(ts, usd, t0, t0 + 48 * HOUR) == 1176.0


def test_a_window_without_samples_is_no_data_but_free_steps_are_zero():
    t0 = utc(2026, 3, 1)
    ts, usd = hourly(t0, 24, 0.0)
    assert cost_in_window(ts, usd, t0, t0 + 24 * HOUR) == 0.0
    assert cost_in_window(ts, usd, t0 + 30 * HOUR, t0 + 40 * HOUR) is None
    assert cost_in_window(np.array([], dtype=np.int64), np.array([]), t0, t0 + HOUR) is None


def test_steps_without_a_cost_are_left_out():
    t0 = utc(2026, 3, 1)
    ts, usd = hourly(t0, 4, [1.0, math.nan, 2.5, math.nan])
    assert cost_in_window(ts, usd, t0, t0 + 4 * HOUR) == 3.5
    assert cost_in_window(ts, usd, t0 + HOUR, t0 + 2 * HOUR) is None  # only the NaN step


def test_arrays_of_different_length_are_refused():
    with pytest.raises(InputError, match="equal length"):
        cost_in_window(np.array([1, 2, 3]), np.array([1.0, 2.0]), 0, 10)


# --- calendar months ----------------------------------------------------------------------


DAYS = 24 * HOUR


@pytest.mark.parametrize(
    "tz, at, start, end, length",
    [
        pytest.param(
            "UTC", utc(2023, 2, 14), utc(2023, 2, 1), utc(2023, 3, 1), 28 * DAYS,
            id="February 2023 has 28 days",
        ),
        pytest.param(
            "UTC", utc(2024, 2, 14), utc(2024, 2, 1), utc(2024, 3, 1), 29 * DAYS,
            id="February 2024 has 29 days",
        ),
        pytest.param(
            "UTC", utc(2024, 4, 30, 23, 59, 59), utc(2024, 4, 1), utc(2024, 5, 1), 30 * DAYS,
            id="April has 30 days",
        ),
        pytest.param(
            "UTC", utc(2024, 12, 31, 12), utc(2024, 12, 1), utc(2025, 1, 1), 31 * DAYS,
            id="December ends in the next year",
        ),
        pytest.param(
            "Europe/Berlin", utc(2024, 3, 15), utc(2024, 2, 29, 23), utc(2024, 3, 31, 22), 31 * DAYS - HOUR,
            id="Berlin March 2024 loses an hour to DST",
        ),
        pytest.param(
            "Europe/Berlin", utc(2024, 10, 15), utc(2024, 9, 30, 22), utc(2024, 10, 31, 23), 31 * DAYS + HOUR,
            id="Berlin October 2024 gains an hour",
        ),
        pytest.param(
            "America/New_York", utc(2024, 3, 20), utc(2024, 3, 1, 5), utc(2024, 4, 1, 4), 31 * DAYS - HOUR,
            id="New York March 2024 loses an hour",
        ),
        pytest.param(
            "Australia/Lord_Howe", utc(2024, 4, 15), utc(2024, 3, 31, 13), utc(2024, 4, 30, 13, 30),
            30 * DAYS + HOUR // 2,
            id="Lord Howe April 2024 gains half an hour",
        ),
        pytest.param(
            "Pacific/Apia", utc(2011, 12, 15), utc(2011, 12, 1, 10), utc(2011, 12, 31, 10), 30 * DAYS,
            id="Samoa skipped 30 December 2011, so that December had 30 days",
        ),
        pytest.param(
            "Europe/Berlin", utc(2024, 2, 29, 23, 0, 1), utc(2024, 2, 29, 23), utc(2024, 3, 31, 22), 31 * DAYS - HOUR,
            id="a second after the boundary is in the new month",
        ),
        pytest.param(
            "Europe/Berlin", utc(2024, 2, 29, 23), utc(2024, 1, 31, 23), utc(2024, 2, 29, 23), 29 * DAYS,
            id="exactly on the boundary is the month that ends there, as samples are",
        ),
    ],
)
def test_month_bounds(tz, at, start, end, length):
    assert month_bounds(at, tz) == (start, end)
    assert end - start == length


def test_an_unknown_time_zone_is_named():
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        month_bounds(utc(2026, 3, 1), "Mars/Olympus")


_ZONES = sorted(zoneinfo.available_timezones())


@settings(max_examples=300, deadline=None)
@given(tz=st.sampled_from(_ZONES), at=st.integers(0, utc(2037, 12, 1)))
def test_month_bounds_are_local_midnights_on_the_1st_around_the_instant(tz, at):
    zone = zoneinfo.ZoneInfo(tz)

    def local(epoch):
        return datetime.fromtimestamp(epoch, zone)

    start, end = month_bounds(at, tz)
    here = local(at - 1)  # (start, end]: the second that ends at `at`
    assert start < at <= end
    assert (local(start).year, local(start).month, local(start).day) == (here.year, here.month, 1)
    assert local(start - 1).month != here.month
    assert local(end).day == 1 and local(end).month == here.month % 12 + 1
    assert local(end - 1).month == here.month


# --- month-end forecast -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz, month_start, hours_in_month",
    [
        pytest.param("UTC", utc(2023, 2, 1), 28 * 24, id="28-day month"),
        pytest.param("UTC", utc(2024, 2, 1), 29 * 24, id="29-day month"),
        pytest.param("UTC", utc(2024, 4, 1), 30 * 24, id="30-day month"),
        pytest.param("UTC", utc(2024, 1, 1), 31 * 24, id="31-day month"),
        pytest.param("Europe/Berlin", utc(2024, 2, 29, 23), 31 * 24 - 1, id="spring DST change"),
        pytest.param("Europe/Berlin", utc(2024, 9, 30, 22), 31 * 24 + 1, id="autumn DST change"),
        pytest.param("Australia/Lord_Howe", utc(2024, 3, 31, 13), 30 * 24 + 0.5, id="half-hour DST change"),
    ],
)
def test_a_steady_rate_forecasts_rate_times_the_month_length(tz, month_start, hours_in_month):
    ts, usd = hourly(month_start, 10 * 24, 2.5)
    at = month_start + 10 * 24 * HOUR
    assert forecast_month(ts, usd, at, tz) == pytest.approx(2.5 * hours_in_month, rel=1e-12)


def test_forecast_uses_the_month_to_date_average_rate():
    month_start = utc(2024, 4, 1)
    ts, usd = hourly(month_start, 10, np.arange(1, 11))  # $1 ... $10, $55 in 10 hours
    at = month_start + 10 * HOUR
    assert forecast_month(ts, usd, at, "UTC") == pytest.approx(55 / 10 * 720, rel=1e-12)


def test_forecast_counts_elapsed_time_to_the_newest_sample_not_to_the_unfinished_step():
    month_start = utc(2024, 4, 1)
    ts, usd = hourly(month_start, 24, 1.0)
    at = month_start + 10 * HOUR + 30 * 60  # half-way through the 11th hour
    # Ten finished hours at $1: the rate is $1/h, not $10 / 10.5 h.
    assert forecast_month(ts, usd, at, "UTC") == pytest.approx(720.0, rel=1e-12)


def test_forecast_ignores_other_months():
    month_start = utc(2024, 4, 1)
    march_ts, march_usd = hourly(month_start - 24 * HOUR, 24, 1000.0)  # last step ends at month_start
    april_ts, april_usd = hourly(month_start, 5, 1.0)
    ts, usd = np.concatenate([march_ts, april_ts]), np.concatenate([march_usd, april_usd])
    assert forecast_month(ts, usd, month_start + 5 * HOUR, "UTC") == pytest.approx(720.0, rel=1e-12)


def test_no_forecast_before_the_month_has_data():
    month_start = utc(2024, 4, 1)
    ts, usd = hourly(month_start - 48 * HOUR, 48, 3.0)  # the last two days of March only
    assert forecast_month(ts, usd, month_start + 1, "UTC") is None
    assert forecast_month(ts, usd, month_start + 30 * 60, "UTC") is None


def test_on_the_boundary_the_forecast_of_the_month_just_ended_is_its_spend():
    month_start = utc(2024, 4, 1)
    ts, usd = hourly(month_start - 48 * HOUR, 48, 3.0)
    # March is over: 48 h at $3 were recorded, over all 744 h of March.
    assert forecast_month(ts, usd, month_start, "UTC") == pytest.approx(144.0, rel=1e-12)


# --- budget state -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mtd, budget, warning",
    [
        pytest.param(79.99, 100.0, False, id="a cent under 80 percent does not warn"),
        pytest.param(80.0, 100.0, True, id="exactly 80 percent warns"),
        pytest.param(80.01, 100.0, True, id="a cent over 80 percent warns"),
        pytest.param(856.55, 1070.7, False, id="a cent under 80 percent of 1070.70 does not warn"),
        pytest.param(856.56, 1070.7, True, id="exactly 80 percent of 1070.70 warns"),
    ],
)
def test_warning_at_80_percent_of_the_budget(mtd, budget, warning):
    state = budget_state(mtd, None, budget)
    assert state.warning is warning
    assert state.used_fraction == pytest.approx(mtd / budget)


def test_the_80_percent_case_is_one_that_binary_floats_get_wrong():
    # Why budget_state compares decimals: a naive product misses the boundary.
    assert 856.56 < 0.8 * 1070.7
    assert 1543.2 > 1.25 * 1234.56


@pytest.mark.parametrize(
    "forecast, budget, overrun",
    [
        pytest.param(124.99, 100.0, False, id="a cent under 125 percent is no overrun"),
        pytest.param(125.0, 100.0, False, id="exactly 125 percent is no overrun"),
        pytest.param(125.01, 100.0, True, id="a cent over 125 percent is an overrun"),
        pytest.param(1543.2, 1234.56, False, id="exactly 125 percent of 1234.56 is no overrun"),
        pytest.param(1543.21, 1234.56, True, id="a cent over 125 percent of 1234.56 is an overrun"),
    ],
)
def test_overrun_above_125_percent_of_the_budget(forecast, budget, overrun):
    state = budget_state(None, forecast, budget)
    assert state.overrun is overrun
    assert state.forecast_fraction == pytest.approx(forecast / budget)


def test_budget_state_fractions():
    state = budget_state(250.0, 900.0, 1000.0)
    assert (state.budget_usd, state.used_fraction, state.forecast_fraction) == (1000.0, 0.25, 0.9)
    assert (state.warning, state.overrun) == (False, False)


@pytest.mark.parametrize("missing", [None, math.nan], ids=["None", "NaN"])
def test_budget_state_without_data_says_so(missing):
    state = budget_state(missing, missing, 100.0)
    assert state.used_fraction is None and state.forecast_fraction is None
    assert state.warning is None and state.overrun is None


def test_thresholds_are_parameters():
    state = budget_state(50.0, 100.0, 100.0, warn_at=0.5, overrun_at=1.0)
    assert (state.warning, state.overrun) == (True, False)
    assert budget_state(49.99, 100.01, 100.0, warn_at=0.5, overrun_at=1.0).overrun is True


@pytest.mark.parametrize("budget", [0.0, -5.0, math.nan, math.inf])
def test_a_budget_must_be_a_positive_number(budget):
    with pytest.raises(InputError, match="cost budget must be a positive number"):
        budget_state(1.0, 1.0, budget)
