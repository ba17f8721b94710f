"""Properties of ``evaluate`` that hold for any traffic (hypothesis)."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sloboard.domain import BudgetingMethod, Window
from sloboard.engine import evaluate
from tests.factories import make_slo

STEP = 300
STEPS = 288  # one day of 5-minute steps
AT = 1_700_006_400
TS = AT - STEP * np.arange(STEPS, dtype=np.int64)[::-1]

objectives = st.floats(0.5, 0.9999)
methods = st.sampled_from(list(BudgetingMethod))
# Event counts: zero or at least a thousandth (rates times steps), never subnormal.
totals = arrays(np.float64, STEPS, elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e6)))
shares = arrays(np.float64, STEPS, elements=st.floats(0, 1))
counts = arrays(np.float64, STEPS, elements=st.integers(0, 10**6).map(float))
holes = arrays(np.bool_, STEPS)


def day_slo(objective: float, method: BudgetingMethod):
    return make_slo(objective=objective, window=Window(timedelta(days=1)), budgeting=method, timeslice_target=0.9)


@settings(max_examples=200, deadline=None)
@given(objectives, methods, totals, shares, holes)
def test_consumed_plus_remaining_is_one_and_sli_is_a_ratio(objective, method, total, share, hole):
    total = np.where(hole, np.nan, total)
    status = evaluate(day_slo(objective, method), TS, share * total, total, AT, step_s=STEP)
    if status.sli is None:
        assert status.budget_consumed is None and status.budget_remaining is None
        return
    assert 0.0 <= status.sli <= 1.0
    assert math.isclose(status.budget_consumed + status.budget_remaining, 1.0, rel_tol=0,
                        abs_tol=1e-12 * max(1.0, status.budget_consumed))
    assert status.budget_exhausted == (status.budget_remaining <= 0)
    assert status.attainment == (status.sli >= objective)


@settings(max_examples=200, deadline=None)
@given(objectives, methods, counts, shares, holes.filter(lambda h: h.any() and not h.all()))
def test_missing_steps_are_neither_good_nor_bad(objective, method, total, share, hole):
    """Whole event counts make every sum exact, so both evaluations must agree to the last bit."""
    good = np.floor(share * total)
    slo = day_slo(objective, method)
    with_nan = evaluate(slo, TS, np.where(hole, np.nan, good), np.where(hole, np.nan, total), AT, step_s=STEP)
    without_rows = evaluate(slo, TS[~hole], good[~hole], total[~hole], AT, step_s=STEP)

    assert with_nan == without_rows
    assert with_nan.data_completeness == (~hole).sum() / STEPS < 1
    assert with_nan.total == float(np.sum(total[~hole]))


@settings(max_examples=200, deadline=None)
@given(objectives, totals, holes)
def test_burn_rate_one_over_the_window_uses_exactly_the_budget(objective, total, hole):
    total = np.where(hole, np.nan, total)
    assume(np.nansum(total) > 0)
    good = objective * total  # bad fraction 1 - objective in every step
    status = evaluate(day_slo(objective, BudgetingMethod.OCCURRENCES), TS, good, total, AT, step_s=STEP)

    assert abs(status.budget_consumed - 1.0) < 1e-9
    assert abs(status.budget_minutes_consumed - status.budget_minutes_total) < 1e-6
    for rate in status.burn_rates.values():
        assert rate is None or abs(rate - 1.0) < 1e-9

