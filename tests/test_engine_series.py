"""Chart series against a plain Python loop over the samples, and slice grouping."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from sloboard.domain import BudgetingMethod, Window
from sloboard.engine import budget_burndown, burn_rate_series, evaluate
from sloboard.engine.methods import slice_ratios
from sloboard.engine.steps import Steps
from tests.factories import make_slo

AT = 1_700_006_400
STEPS = 2 * 1440


def noisy_traffic(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two days of minutes with random traffic, errors, and gaps both as NaN and as absent rows."""
    rng = np.random.default_rng(seed)
    ts = AT - 60 * np.arange(STEPS, dtype=np.int64)[::-1]
    total = rng.poisson(50, STEPS).astype(float)
    good = total - rng.binomial(total.astype(int), 0.01)
    total[rng.random(STEPS) < 0.05] = np.nan
    kept = rng.random(STEPS) > 0.05
    return ts[kept], good[kept], total[kept]


def loop_burn_rate(ts, good, total, objective, window_s, t) -> float:
    bad = events = 0.0
    for when, g, n in zip(ts, good, total):
        if t - window_s < when <= t and not math.isnan(n):
            bad += n - g
            events += n
    return bad / events / (1 - objective) if events else math.nan


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(timedelta(minutes=5), id="5-minute burn rate at every sample equals a plain loop"),
        pytest.param(timedelta(hours=1), id="1-hour burn rate at every sample equals a plain loop"),
    ],
)
def test_burn_rate_series_matches_a_loop(window):
    ts, good, total = noisy_traffic(seed=1)
    start = AT - 6 * 3600
    times, rates = burn_rate_series(ts, good, total, 0.99, window, start, AT)

    assert list(times) == [t for t in ts if start < t <= AT]
    expected = [loop_burn_rate(ts, good, total, 0.99, window.total_seconds(), t) for t in times]
    np.testing.assert_allclose(rates, expected, rtol=1e-9, equal_nan=True)


def test_burn_rate_series_is_nan_where_a_window_has_no_events():
    ts = AT - 60 * np.arange(30, dtype=np.int64)[::-1]
    total = np.full(30, 10.0)
    total[10:20] = np.nan
    _, rates = burn_rate_series(ts, total - 1.0, total, 0.9, timedelta(minutes=5), AT - 1800, AT)
    assert np.isnan(rates[14:20]).all()  # the windows that fall entirely in the gap
    np.testing.assert_allclose(rates[:10], 1.0)


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, id=f"{m.value} burn-down ends at the status's remaining budget") for m in BudgetingMethod],
)
def test_burndown_ends_at_the_status_budget(method):
    ts, good, total = noisy_traffic(seed=2)
    slo = make_slo(objective=0.995, window=Window(timedelta(days=1)), budgeting=method,
                   timeslice_target=0.98, timeslice_window=timedelta(minutes=10))
    times, remaining = budget_burndown(slo, ts, good, total, AT)
    status = evaluate(slo, ts, good, total, AT)
    assert remaining[-1] == pytest.approx(status.budget_remaining, abs=1e-12)
    assert times[0] > AT - 86400 and times[-1] <= AT
    assert np.all(np.diff(remaining) <= 1e-12)  # a burn-down never goes up


def test_occurrences_burndown_matches_a_loop():
    ts, good, total = noisy_traffic(seed=3)
    slo = make_slo(objective=0.99, window=Window(timedelta(days=1)))
    times, remaining = budget_burndown(slo, ts, good, total, AT)

    inside = [(t, g, n) for t, g, n in zip(ts, good, total) if AT - 86400 < t <= AT]
    allowed = 0.01 * sum(n for _, _, n in inside if not math.isnan(n))
    expected, spent = [], 0.0
    for _, g, n in inside:
        spent += 0.0 if math.isnan(n) else n - g
        expected.append(1 - spent / allowed)
    assert list(times) == [t for t, _, _ in inside]
    np.testing.assert_allclose(remaining, expected, rtol=1e-9)


def test_burndown_without_data_is_all_nan():
    ts = AT - 60 * np.arange(10, dtype=np.int64)[::-1]
    _, remaining = budget_burndown(make_slo(), ts, np.full(10, np.nan), np.full(10, np.nan), AT)
    assert remaining.size == 10 and np.isnan(remaining).all()


def test_slices_group_steps_by_their_slice_end():
    ts, good, total = noisy_traffic(seed=4)
    steps = Steps.between(ts, good, total, AT - 86400, AT)
    ends, ratios = slice_ratios(steps, 600)

    sums: dict[int, list[float]] = {}
    for t, g, n in zip(steps.ts, steps.good, steps.total):
        end = -(-int(t) // 600) * 600
        acc = sums.setdefault(end, [0.0, 0.0])
        if not math.isnan(n):
            acc[0] += g
            acc[1] += n
    assert list(ends) == list(sums)
    np.testing.assert_allclose(ratios, [g / n if n else math.nan for g, n in sums.values()], equal_nan=True)
