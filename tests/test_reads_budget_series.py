"""The budget-remaining series (``reads.history.budget_history``) from cumulative sums equals
``engine.evaluate`` at every instant: for arbitrary rows (hypothesis), and over a real store
for rolling and calendar windows, hour by hour across a month."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloboard.domain import BudgetingMethod, Window
from sloboard.engine import evaluate, window_bounds
from sloboard.reads.history import budget_history, occurrences_budget
from tests.factories import make_slo

STEP = 60
HOUR = 3600
TOLERANCE = 1e-12
OBJECTIVES = (0.9, 0.99, 0.999, 0.9999)


def _close(got: float, want: float | None) -> bool:
    if want is None:
        return math.isnan(got)
    return math.isclose(got, want, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@st.composite
def rows_and_windows(draw, whole_counts: bool):
    """Rows on a one-minute grid with gaps and NaN rows, traffic within a factor of 100, and
    windows ending on the grid no shorter than a quarter of the rows' span (as SLO windows
    are against the range a series reads: a window's sums then keep all but the last bits
    of the running totals they are the differences of)."""
    n = draw(st.integers(1, 200))
    steps = np.array(sorted(draw(st.sets(st.integers(1, 2 * n), min_size=n, max_size=n))), np.int64)
    ts = steps * STEP
    if whole_counts:
        total = np.array(draw(st.lists(st.integers(1_000, 100_000), min_size=n, max_size=n)), np.float64)
        good = np.floor(total * np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))))
    else:
        total = np.array(draw(st.lists(st.floats(1e3, 1e5), min_size=n, max_size=n)))
        good = total * np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    for i in draw(st.sets(st.integers(0, n - 1), max_size=3)):  # rows without data
        good[i] = np.nan
    span = int(ts[-1] + STEP)
    length = draw(st.integers(max(STEP, span // 4), span)) // STEP * STEP
    ends = np.array(sorted(draw(st.sets(st.integers(0, span // STEP), min_size=1, max_size=20))), np.int64) * STEP
    return ts, good, total, length, ends, draw(st.sampled_from(OBJECTIVES))


def _evaluated(ts, good, total, length, ends, objective) -> list[float | None]:
    slo = make_slo(objective=objective, window=Window(duration=timedelta(seconds=length)), alert_windows=())
    return [evaluate(slo, ts, good, total, int(t), STEP).budget_remaining for t in ends]


@settings(max_examples=100, deadline=None)
@given(rows_and_windows(whole_counts=False))
def test_budget_from_cumulative_sums_is_evaluate_at_each_instant(case):
    ts, good, total, length, ends, objective = case
    got = occurrences_budget(objective, ts, good, total, ends - length, ends)
    for t, g, want in zip(ends, got, _evaluated(*case)):
        assert _close(float(g), want), f"at {t}: {g} != {want}"


@settings(max_examples=50, deadline=None)
@given(rows_and_windows(whole_counts=True))
def test_budget_of_whole_counts_is_evaluate_to_the_bit(case):
    ts, good, total, length, ends, objective = case
    got = occurrences_budget(objective, ts, good, total, ends - length, ends)
    want = [np.nan if v is None else v for v in _evaluated(*case)]
    np.testing.assert_array_equal(got, want)


MONTH_START = 1_764_547_200  # 2025-12-01T00:00:00Z
MONTH_END = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def month_of_steps(store):
    """Steps from 35 days before December to its end, fractional counts and one silent day."""
    rng = np.random.default_rng(7)
    ts = np.arange(MONTH_START - 35 * 86_400 + STEP, MONTH_END + 1, STEP, dtype=np.int64)
    keep = ~((ts > MONTH_START + 9 * 86_400) & (ts <= MONTH_START + 10 * 86_400))  # a day without samples
    ts = ts[keep]
    total = rng.uniform(50, 500, ts.size)
    good = total * (1 - rng.beta(0.3, 400, ts.size))
    return ts, good, total


@pytest.mark.parametrize(
    "window",
    [Window(duration=timedelta(days=28)),
     Window(duration=timedelta(days=7), calendar_unit="week", timezone="Europe/Berlin"),
     Window(duration=timedelta(days=30), calendar_unit="month", timezone="America/St_Johns")],
    ids=["rolling 28d", "calendar week in Berlin", "calendar month at a half-hour offset"],
)
def test_budget_history_over_a_month_is_evaluate_at_every_hour(store, month_of_steps, window):
    ts, good, total = month_of_steps
    slo = make_slo(window=window)
    store.sync_slos([slo])
    store.write_sli_samples(slo.id, ts, good, total)
    hours = (MONTH_END - MONTH_START) // HOUR

    series = budget_history(store, [slo], MONTH_END, MONTH_END - MONTH_START, step_s=STEP, max_points=hours)[slo.id]

    assert series.ts.tolist() == list(range(MONTH_START + HOUR, MONTH_END + 1, HOUR))
    read_from = window_bounds(window, MONTH_START + HOUR)[0]
    raw = store.read_sli_samples(slo.id, read_from, MONTH_END)  # every step: no rollups involved
    for t, got in zip(series.ts, series.values):
        want = evaluate(slo, *raw, int(t), STEP).budget_remaining
        assert _close(float(got), want), f"at {t}: {got} != {want}"


def test_time_slice_slos_keep_evaluating_each_instant(store, month_of_steps):
    ts, good, total = month_of_steps
    slo = make_slo(budgeting=BudgetingMethod.TIMESLICES, timeslice_window=timedelta(minutes=5))
    store.sync_slos([slo])
    store.write_sli_samples(slo.id, ts, good, total)

    series = budget_history(store, [slo], MONTH_END, 7 * 86_400, step_s=STEP, max_points=28)[slo.id]

    raw = store.read_sli_samples(slo.id, MONTH_START - 35 * 86_400, MONTH_END)
    want = [evaluate(slo, *raw, int(t), STEP).budget_remaining for t in series.ts]
    assert series.values.tolist() == pytest.approx(want, rel=TOLERANCE, abs=TOLERANCE)
    assert len(set(series.values.tolist())) > 1  # the week's points differ: something was evaluated
