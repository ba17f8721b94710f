"""The budgeting-method example of the OpenSLO v1 repository (examples/budgeting-method/README.md).

Its "Quick calculations" assume: a 2-week rolling window, 24,000 requests a day,
a service that normally answers 99 % of requests successfully, an objective of
95 %, time slices of 1 minute, and a DDoS attack during which only 1 % of
requests succeed. It states that the budget is burnt by
- Occurrences: 16,632 failed requests;
- Timeslices: 16 h 48 min of attack (the window has 20,160 slices);
- RatioTimeslices: "about 13 h 45 min" of attack.

Reconstruction, with one sample per minute (20,160 steps):

- Timeslices: every minute carries 24,000 / 1,440 requests; normal minutes have a
  ratio of 0.99, attack minutes 0.01. The README gives no ``timeSliceTarget``; any
  target between 0.01 and 0.99 splits the minutes the same way, and we use 0.95.
  The budget is 5 % of 20,160 slices = 1,008 bad minutes = 16 h 48 min.
- RatioTimeslices: the same minutes. The mean slice ratio falls to 0.95 when
  0.99 × (20,160 - k) + 0.01 × k = 0.95 × 20,160, so k = 806.4 / 0.98 = 822.86
  minutes = 13 h 42 min 51 s. The budget runs out during the 823rd attack minute,
  which is the README's "about 13 h 45 min" rounded to a quarter hour.
- Occurrences: 16,632 is 0.99 × 16,800, that is 5 % of 332,640, the requests
  that succeed in two weeks of normal operation (99 % of 336,000). The only
  reading under which exactly 16,632 failed requests exhaust the budget is: the
  window holds 332,640 requests, the baseline's own 1 % failures are not counted,
  and the attack's failures are the only bad events. We build that window. We
  also check the self-consistent reading that counts the baseline failures
  (336,000 requests, 3,360 of them failed normally, a budget of 16,800): then
  the budget lasts 822.86 attack minutes (13,577 failed attack requests), the
  same time as RatioTimeslices, because with the same traffic every minute the
  mean of the slice ratios equals the ratio of the sums.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from sloboard.domain import BudgetingMethod, Window
from sloboard.engine import budget_burndown, evaluate
from tests.factories import make_slo

AT = 1_700_006_400  # a whole minute, so steps and 1-minute slices line up
MINUTES = 14 * 1440  # 20,160
TS = AT - 60 * np.arange(MINUTES, dtype=np.int64)[::-1]
PER_MINUTE = 24_000 / 1440


def example_slo(method: BudgetingMethod):
    return make_slo(
        objective=0.95,
        window=Window(duration=timedelta(weeks=2)),
        budgeting=method,
        timeslice_target=0.95 if method is BudgetingMethod.TIMESLICES else None,
        timeslice_window=timedelta(minutes=1),
    )


def attack_in_last_minutes(attack_minutes: int) -> tuple[np.ndarray, np.ndarray]:
    """24,000 requests a day; 99 % succeed, 1 % during the attack at the end of the window."""
    total = np.full(MINUTES, PER_MINUTE)
    success = np.full(MINUTES, 0.99)
    success[MINUTES - attack_minutes:] = 0.01
    return success * total, total


def failures_in_last_minutes(failed: float, per_minute: float) -> tuple[np.ndarray, np.ndarray]:
    """Error-free traffic of ``per_minute`` requests, with ``failed`` of them failing in the last minutes."""
    total = np.full(MINUTES, per_minute)
    from_end = np.arange(MINUTES)[::-1]
    bad = np.clip(failed - per_minute * from_end, 0.0, per_minute)
    return total - bad, total


def test_window_has_the_stated_size():
    assert MINUTES == 20_160
    assert PER_MINUTE * MINUTES == pytest.approx(336_000)
    assert timedelta(minutes=0.05 * MINUTES) == timedelta(hours=16, minutes=48)


@pytest.mark.parametrize(
    "attack_minutes, budget_left",
    [
        pytest.param(1007, "some", id="Timeslices: 16h47m of attack leaves one bad minute of budget"),
        pytest.param(1008, "none", id="Timeslices: 16h48m of attack spends the budget exactly"),
        pytest.param(1009, "overspent", id="Timeslices: 16h49m of attack overspends it"),
    ],
)
def test_timeslices_budget_lasts_16h48m_of_attack(attack_minutes, budget_left):
    status = evaluate(example_slo(BudgetingMethod.TIMESLICES), TS, *attack_in_last_minutes(attack_minutes), AT)
    assert status.budget_events_total == pytest.approx(1008)  # bad slices allowed
    assert status.budget_minutes_total == pytest.approx(16 * 60 + 48)
    assert status.budget_minutes_remaining == pytest.approx(1008 - attack_minutes)
    assert_budget_left(status.budget_remaining, budget_left)


def test_timeslices_burndown_reaches_zero_16h48m_into_the_attack():
    attack_minutes = 1200
    times, remaining = budget_burndown(
        example_slo(BudgetingMethod.TIMESLICES), TS, *attack_in_last_minutes(attack_minutes), AT
    )
    attack_start = AT - 60 * attack_minutes  # the first attack minute ends at attack_start + 60
    exhausted_at = times[np.argmax(remaining <= 1e-9)]
    assert exhausted_at - attack_start == 16 * 3600 + 48 * 60


@pytest.mark.parametrize(
    "attack_minutes, budget_left",
    [
        pytest.param(822, "some", id="RatioTimeslices: 13h42m of attack leaves some budget"),
        pytest.param(823, "overspent", id="RatioTimeslices: 13h43m of attack, about 13h45m, spends it"),
    ],
)
def test_ratio_timeslices_budget_lasts_about_13h45m_of_attack(attack_minutes, budget_left):
    status = evaluate(example_slo(BudgetingMethod.RATIO_TIMESLICES), TS, *attack_in_last_minutes(attack_minutes), AT)
    mean_ratio = (0.99 * (MINUTES - attack_minutes) + 0.01 * attack_minutes) / MINUTES
    assert status.sli == pytest.approx(mean_ratio)
    assert_budget_left(status.budget_remaining, budget_left)


def test_ratio_timeslices_exhaustion_is_about_13h45m():
    exact_minutes = (0.99 - 0.95) * MINUTES / (0.99 - 0.01)
    assert exact_minutes == pytest.approx(822.857, abs=1e-3)
    assert abs(timedelta(minutes=exact_minutes) - timedelta(hours=13, minutes=45)) < timedelta(minutes=3)


@pytest.mark.parametrize(
    "failed, budget_left",
    [
        pytest.param(16_631, "some", id="Occurrences: 16,631 failed requests leave one request of budget"),
        pytest.param(16_632, "none", id="Occurrences: 16,632 failed requests spend the budget exactly"),
        pytest.param(16_633, "overspent", id="Occurrences: 16,633 failed requests overspend it"),
    ],
)
def test_occurrences_budget_is_16632_failed_requests(failed, budget_left):
    # 332,640 requests in two weeks: 16.5 a minute.
    status = evaluate(example_slo(BudgetingMethod.OCCURRENCES), TS, *failures_in_last_minutes(failed, 16.5), AT)
    assert status.total == pytest.approx(332_640)
    assert status.budget_events_total == pytest.approx(16_632)
    assert status.budget_events_remaining == pytest.approx(16_632 - failed, abs=1e-6)
    assert_budget_left(status.budget_remaining, budget_left)


@pytest.mark.parametrize(
    "attack_minutes, budget_left",
    [
        pytest.param(822, "some", id="Occurrences counting the normal 1 % failures: 822 attack minutes leave some"),
        pytest.param(823, "overspent", id="Occurrences counting the normal 1 % failures: 823 attack minutes overspend"),
    ],
)
def test_occurrences_counting_the_baseline_failures(attack_minutes, budget_left):
    good, total = attack_in_last_minutes(attack_minutes)
    status = evaluate(example_slo(BudgetingMethod.OCCURRENCES), TS, good, total, AT)
    assert status.budget_events_total == pytest.approx(16_800)
    assert status.budget_events_consumed == pytest.approx(float(np.sum(total - good)))
    assert_budget_left(status.budget_remaining, budget_left)


def assert_budget_left(remaining: float, expected: str) -> None:
    if expected == "some":
        assert remaining > 1e-6
    elif expected == "none":
        assert remaining == pytest.approx(0.0, abs=1e-9)
    else:
        assert remaining < -1e-6
