"""Budget arithmetic against the numbers printed in the SRE workbook, chapter 5."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from sloboard.domain import Window
from sloboard.engine import (
    budget_minutes,
    budget_spent_at_rate,
    burn_rate_threshold,
    evaluate,
    exhaustion_epoch,
    ratio,
)
from tests.factories import WORKBOOK_WINDOWS, make_slo

THIRTY_DAYS = timedelta(days=30)


@pytest.mark.parametrize(
    "budget_fraction, alert_window, expected",
    [
        pytest.param(0.02, timedelta(hours=1), 14.4, id="2 % of a 30-day budget in 1 hour is a burn rate of 14.4"),
        pytest.param(0.05, timedelta(hours=6), 6.0, id="5 % of a 30-day budget in 6 hours is a burn rate of 6"),
        pytest.param(0.10, timedelta(days=3), 1.0, id="10 % of a 30-day budget in 3 days is a burn rate of 1"),
    ],
)
def test_workbook_burn_rate_thresholds(budget_fraction, alert_window, expected):
    assert burn_rate_threshold(budget_fraction, THIRTY_DAYS, alert_window) == pytest.approx(expected, rel=1e-12)
    assert budget_spent_at_rate(expected, alert_window, THIRTY_DAYS) == pytest.approx(budget_fraction, rel=1e-12)


def test_default_alert_windows_are_the_workbook_table():
    fractions = {timedelta(hours=1): 0.02, timedelta(hours=6): 0.05, timedelta(days=3): 0.10}
    for alert in WORKBOOK_WINDOWS:
        assert alert.burn_rate == pytest.approx(burn_rate_threshold(fractions[alert.long], THIRTY_DAYS, alert.long))


def test_burn_rate_one_over_the_whole_window_spends_exactly_the_budget():
    """1,000 requests a minute for 30 days at 99.9 %: one bad request every minute is burn rate 1."""
    at = 1_700_006_400
    steps = 30 * 1440
    ts = at - 60 * np.arange(steps, dtype=np.int64)[::-1]
    total = np.full(steps, 1000.0)
    good = total - 1.0
    slo = make_slo(objective=0.999, window=Window(duration=THIRTY_DAYS))

    status = evaluate(slo, ts, good, total, at)

    assert status.budget_consumed == pytest.approx(1.0, abs=1e-9)
    assert status.budget_remaining == pytest.approx(0.0, abs=1e-9)
    assert status.budget_events_total == pytest.approx(steps * 1000 * 0.001)
    assert status.budget_events_consumed == pytest.approx(steps * 1.0)
    assert status.budget_minutes_total == pytest.approx(43.2)  # 0.1 % of 43,200 minutes
    assert status.budget_minutes_consumed == pytest.approx(43.2)
    assert set(status.burn_rates) == {"5m", "30m", "1h", "6h", "3d"}
    for label, rate in status.burn_rates.items():
        assert rate == pytest.approx(1.0, rel=1e-9), label
    assert budget_spent_at_rate(1.0, THIRTY_DAYS, THIRTY_DAYS) == 1.0


@pytest.mark.parametrize(
    "objective, days, minutes",
    [
        pytest.param(0.999, 30, 43.2, id="99.9 % over 30 days allows 43.2 minutes"),
        pytest.param(0.99, 28, 403.2, id="99 % over 28 days allows 403.2 minutes"),
        pytest.param(0.95, 14, 1008.0, id="95 % over 14 days allows 16 hours 48 minutes"),
    ],
)
def test_budget_in_minutes(objective, days, minutes):
    assert budget_minutes(objective, days * 86400) == pytest.approx(minutes)


AT = 1_700_000_000
FOUR_WEEKS = 28 * 86400


@pytest.mark.parametrize(
    "remaining, rate, expected",
    [
        pytest.param(0.5, 2.0, AT + 7 * 86400, id="half the budget at burn rate 2 lasts a quarter of the window"),
        pytest.param(1.0, 1.0, AT + FOUR_WEEKS, id="a full budget at burn rate 1 lasts one window"),
        pytest.param(0.1, 14.4, AT + math.ceil(0.1 * FOUR_WEEKS / 14.4), id="a fast burn exhausts within hours"),
        pytest.param(0.0, 3.0, AT, id="an exhausted budget reports now"),
        pytest.param(-0.4, 0.0, AT, id="an overspent budget reports now even when the burn stopped"),
        pytest.param(0.7, 0.0, None, id="no burn means no exhaustion"),
        pytest.param(0.7, math.nan, None, id="no data in the forecast window means no forecast"),
        pytest.param(math.nan, 2.0, None, id="no budget data means no forecast"),
    ],
)
def test_exhaustion_forecast(remaining, rate, expected):
    assert exhaustion_epoch(remaining, rate, AT, FOUR_WEEKS) == expected


@pytest.mark.parametrize(
    "good, total",
    [
        pytest.param(0.0, 0.0, id="no events is no data, not 0 % and not 100 %"),
        pytest.param(math.nan, math.nan, id="missing counts are no data"),
        pytest.param(5.0, math.nan, id="a missing total is no data"),
    ],
)
def test_ratio_without_events_is_nan(good, total):
    assert math.isnan(ratio(good, total))
