"""``evaluate``: alert states, forecast, completeness, calendar windows and "no data".

Expected burn rates are recomputed in the tests with boolean masks over the
arrays, not with the engine's search-and-sum code.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from sloboard.domain import BudgetingMethod, Severity, Window
from sloboard.engine import evaluate
from tests.factories import make_slo

AT = 1_700_006_400
STEPS = 28 * 1440
TS = AT - 60 * np.arange(STEPS, dtype=np.int64)[::-1]
PER_MINUTE = 1000.0  # at 99.9 %, one bad request a minute is burn rate 1


def burning(*episodes: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Traffic with bad requests at ``rate`` × budget from ``begin`` to ``end`` minutes before AT."""
    total = np.full(STEPS, PER_MINUTE)
    bad = np.zeros(STEPS)
    minutes_before = (AT - TS) // 60  # 0 for the last step
    for begin, end, rate in episodes:
        bad[(minutes_before < begin) & (minutes_before >= end)] = rate * PER_MINUTE * 0.001
    return total - bad, total


def masked_burn_rate(good, total, window: timedelta) -> float:
    inside = (TS > AT - window.total_seconds()) & ~np.isnan(total)
    return float(np.sum(total[inside] - good[inside]) / np.sum(total[inside]) / 0.001)


@pytest.mark.parametrize(
    "episodes, firing",
    [
        pytest.param([(60, 0, 15.0)], (True, False, False), id="a 15x burn for the last hour fires the fast page"),
        pytest.param([(5, 0, 15.0)], (False, False, False), id="a 15x burn for only 5 minutes is too short to page"),
        pytest.param([(70, 10, 20.0)], (False, False, False), id="a 20x burn that stopped 10 minutes ago no longer pages"),
        pytest.param([(360, 0, 7.0)], (False, True, False), id="a 7x burn for 6 hours fires the slow page"),
        pytest.param([(4320, 0, 1.5)], (False, False, True), id="a 1.5x burn for 3 days opens a ticket"),
        pytest.param([(4320, 0, 20.0)], (True, True, True), id="a 20x burn for 3 days fires everything"),
        pytest.param([], (False, False, False), id="no errors fire nothing"),
    ],
)
def test_alert_states(episodes, firing):
    good, total = burning(*episodes)
    status = evaluate(make_slo(), TS, good, total, AT)

    assert tuple(a.firing for a in status.alerts) == firing
    assert [a.severity for a in status.alerts] == [Severity.PAGE, Severity.PAGE, Severity.TICKET]
    for alert in status.alerts:
        assert alert.long_rate == pytest.approx(masked_burn_rate(good, total, alert.long), abs=1e-9)
        assert alert.short_rate == pytest.approx(masked_burn_rate(good, total, alert.short), abs=1e-9)
    for label, window in {"5m": timedelta(minutes=5), "1h": timedelta(hours=1), "3d": timedelta(days=3)}.items():
        assert status.burn_rates[label] == pytest.approx(masked_burn_rate(good, total, window), abs=1e-9)


def test_missing_short_window_means_no_rate_and_no_page():
    good, total = burning((60, 0, 20.0))
    total[-5:] = np.nan  # the collector missed the last five minutes
    status = evaluate(make_slo(), TS, good, total, AT)

    fast_page = status.alerts[0]
    assert fast_page.short_rate is None
    assert status.burn_rates["5m"] is None
    assert fast_page.long_rate == pytest.approx(20.0)  # the 55 minutes that reported
    assert not fast_page.firing


def test_forecast_uses_the_fast_page_window():
    good, total = burning((60, 0, 3.0))
    status = evaluate(make_slo(), TS, good, total, AT)

    spent = 60 * 3.0 / STEPS  # bad minutes of burn rate 3 over the 28-day window
    remaining = 1 - spent
    assert status.forecast_window == "1h"
    assert status.budget_remaining == pytest.approx(remaining)
    assert status.budget_exhausted is False
    assert status.exhaustion_at == AT + math.ceil(remaining * 28 * 86400 / 3.0)


def test_forecast_without_alert_windows_uses_one_hour():
    good, total = burning((60, 0, 3.0))
    status = evaluate(make_slo(alert_windows=()), TS, good, total, AT)
    assert status.alerts == ()
    assert status.forecast_window == "1h"
    assert set(status.burn_rates) == {"1h"}
    assert status.burn_rates["1h"] == pytest.approx(3.0)


def test_exhausted_budget_says_so_and_reports_now():
    good, total = burning((STEPS, 0, 2.0))
    status = evaluate(make_slo(), TS, good, total, AT)
    assert status.budget_consumed == pytest.approx(2.0)
    assert status.budget_remaining == pytest.approx(-1.0)
    assert status.budget_exhausted is True
    assert status.exhaustion_at == AT


def test_no_burn_means_no_forecast():
    status = evaluate(make_slo(), TS, *burning(), AT)
    assert status.budget_remaining == 1.0
    assert status.exhaustion_at is None


def test_missing_steps_lower_completeness_and_count_as_neither_good_nor_bad():
    good, total = burning((STEPS, 0, 0.5))
    gaps = np.zeros(STEPS, dtype=bool)
    gaps[::4] = True
    gappy_good, gappy_total = good.copy(), total.copy()
    gappy_good[gaps], gappy_total[gaps] = np.nan, np.nan

    with_nan = evaluate(make_slo(), TS, gappy_good, gappy_total, AT)
    without_rows = evaluate(make_slo(), TS[~gaps], good[~gaps], total[~gaps], AT)

    assert with_nan.data_completeness == pytest.approx(0.75)
    assert without_rows.data_completeness == pytest.approx(0.75)
    assert with_nan.total == pytest.approx(0.75 * STEPS * PER_MINUTE)
    assert with_nan.sli == pytest.approx(1 - 0.0005)
    assert with_nan.budget_consumed == pytest.approx(0.5)
    assert with_nan == without_rows


NO_DATA = {
    "no arrays at all": (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)),
    "every step missing": (TS, np.full(STEPS, np.nan), np.full(STEPS, np.nan)),
    "data only before the window": (TS - 29 * 86400, np.full(STEPS, 999.0), np.full(STEPS, 1000.0)),
}


@pytest.mark.parametrize("arrays", [pytest.param(v, id=k + " gives no data") for k, v in NO_DATA.items()])
def test_no_data_is_none_never_zero_or_full(arrays):
    status = evaluate(make_slo(), *arrays, AT)

    for field in ("sli", "good", "total", "attainment", "budget_consumed", "budget_remaining", "budget_exhausted",
                  "budget_events_total", "budget_events_consumed", "budget_events_remaining",
                  "budget_minutes_consumed", "budget_minutes_remaining", "exhaustion_at", "data_completeness"):
        assert getattr(status, field) is None, field
    assert all(rate is None for rate in status.burn_rates.values())
    assert all(not a.firing and a.long_rate is None and a.short_rate is None for a in status.alerts)
    assert status.budget_minutes_total == pytest.approx(0.001 * 28 * 1440)  # needs no data


def test_steps_without_traffic_are_data_but_give_no_sli():
    zeros = np.zeros(STEPS)
    status = evaluate(make_slo(), TS, zeros, zeros, AT)
    assert status.data_completeness == 1.0
    assert (status.good, status.total) == (0.0, 0.0)
    assert status.sli is None and status.budget_remaining is None and status.attainment is None


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, id=f"{m.value} without data gives no SLI") for m in BudgetingMethod],
)
def test_no_data_for_every_budgeting_method(method):
    status = evaluate(make_slo(budgeting=method, timeslice_target=0.99), TS, np.full(STEPS, np.nan),
                      np.full(STEPS, 1000.0), AT)
    assert status.sli is None and status.budget_remaining is None and status.data_completeness is None


def test_calendar_month_in_berlin_counts_only_the_month_so_far():
    at = int(datetime.fromisoformat("2024-03-10T12:00:00+00:00").timestamp())
    month_start = int(datetime.fromisoformat("2024-02-29T23:00:00+00:00").timestamp())
    ts = at - 60 * np.arange(20 * 1440, dtype=np.int64)[::-1]  # from February 19th
    total = np.full(ts.size, 100.0)
    good = np.where(ts > month_start, 100.0, 0.0)  # February was a disaster, March is perfect
    good[-30:] = 99.0  # the last half hour: 1 bad request a minute
    slo = make_slo(objective=0.99, window=Window(timedelta(days=30), "month", "Europe/Berlin"))

    status = evaluate(slo, ts, good, total, at)

    in_march = ts > month_start
    assert status.window_start == month_start
    assert status.period_end == int(datetime.fromisoformat("2024-03-31T22:00:00+00:00").timestamp())
    assert status.total == pytest.approx(100.0 * in_march.sum())
    assert status.sli == pytest.approx(1 - 30 / (100.0 * in_march.sum()))
    assert status.budget_minutes_total == pytest.approx(0.01 * (31 * 24 - 1) * 60)
    assert status.data_completeness == 1.0
    assert status.attainment is True


def test_timeslices_judge_each_slice_against_its_target():
    """5-minute slices over 1-minute steps: two slices in the window fall below 99 %."""
    total = np.full(STEPS, 100.0)
    good = total.copy()
    good[-10:-5] = 98.5  # one slice at 98.5 %
    good[-1] = 90.0  # the last slice at 98 %
    slo = make_slo(objective=0.999, budgeting=BudgetingMethod.TIMESLICES, timeslice_target=0.99,
                   timeslice_window=timedelta(minutes=5))
    status = evaluate(slo, TS, good, total, AT)
    slices = STEPS // 5
    assert status.sli == pytest.approx(1 - 2 / slices)
    assert status.budget_events_total == pytest.approx(0.001 * slices)
    assert status.budget_events_consumed == 2.0


def test_mismatched_arrays_are_refused():
    with pytest.raises(ValueError, match="one length"):
        evaluate(make_slo(), TS, np.ones(3), np.ones(STEPS), AT)
