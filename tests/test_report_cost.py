"""A report's cost per period and per local day (``reports.data.period_cost``) from a real
store: the sums the test adds up itself, also for a month whose per-step samples retention
has deleted (the hourly rollups keep its cost), and on a day of a half-hour time zone."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data import local_days, period_cost
from reports.periods import parse_period
from tests.factories import make_slo

STEP = 60
OCT_START = 1_759_276_800  # 2025-10-01T00:00:00Z
DEC_END = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def costed_store(store):
    """Two services' cost per minute over the quarter: 0.01 USD and 0.02 USD a step, doubled in December."""
    ts = np.arange(OCT_START + STEP, DEC_END + 1, STEP, dtype=np.int64)
    december = ts > 1_764_547_200
    store.sync_slos([make_slo()])
    store.write_series("cost", "service:checkout", "opencost", ts, np.where(december, 0.02, 0.01))
    store.write_series("cost", "service:search", "opencost", ts, np.where(december, 0.04, 0.02))
    return store


def _expected(start: int, end: int) -> float:
    """USD of both series over ``(start, end]``, step by step."""
    steps = np.arange(max(start, OCT_START) + STEP, end + 1, STEP)
    return float(np.where(steps > 1_764_547_200, 0.06, 0.03).sum())


def test_period_cost_is_every_step_of_the_period_and_of_each_day(costed_store):
    period = parse_period("quarterly", "2025-Q4", "UTC")
    cost = period_cost(costed_store, [make_slo()], period)
    assert cost.usd == pytest.approx(92 * 1440 * 0.03 + 31 * 1440 * 0.03, rel=1e-12)
    assert cost.daily == pytest.approx([_expected(a, b) for a, b in local_days(period)], rel=1e-12)


def test_a_month_older_than_the_step_retention_keeps_its_cost(costed_store):
    costed_store.delete_samples_before(1_764_547_200)  # every step before December is gone
    october = parse_period("monthly", "2025-10", "UTC")
    assert period_cost(costed_store, [make_slo()], october).usd == pytest.approx(31 * 1440 * 0.03, rel=1e-12)


def test_days_of_a_half_hour_time_zone_cut_hours_and_still_add_up(costed_store):
    week = parse_period("weekly", "2025-W50", "Asia/Kolkata")  # days start at 18:30 UTC
    cost = period_cost(costed_store, [make_slo()], week)
    days = local_days(week)
    assert all(a % 3600 == 1800 for a, _ in days)
    assert cost.daily == pytest.approx([_expected(a, b) for a, b in days], rel=1e-12)
    assert cost.usd == pytest.approx(_expected(week.start, week.end), rel=1e-12)
