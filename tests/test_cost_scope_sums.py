"""The status report's cost per scope and window, summed over all series at once in numpy,
equals each scope's merged samples summed window by window with the engine's functions
(``engine.cost.cost_in_window`` and ``forecast_month``)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sloboard.engine.cost import cost_in_window, forecast_month, month_bounds
from sloboard.reads.cost import _scope_window_sums, cost_scopes, merge_cost_scopes

AT = 1_780_000_000 // 3600 * 3600 + 1_234  # mid-month, off the hour
TZ = "Europe/Berlin"
SCOPES = ["service:cart", "service:checkout", "service:search", "team:payments", "service:__idle__"]


@st.composite
def cost_series(draw):
    per_series = {}
    for scope, name in draw(st.sets(st.tuples(st.sampled_from(SCOPES), st.sampled_from(["opencost", "bill"])),
                                    min_size=1, max_size=8)):
        on_edges = st.sampled_from([0, -86_400, -7 * 86_400, -30 * 86_400, month_bounds(AT, TZ)[0] - AT])
        offsets = draw(st.lists(st.one_of(st.integers(-40 * 86_400, 600), on_edges), max_size=30, unique=True))
        ts = np.array(sorted(AT + o for o in offsets), np.int64)
        usd = np.array([draw(st.one_of(st.just(math.nan), st.floats(0, 50, allow_nan=False))) for _ in ts])
        per_series[(scope, name)] = (ts, usd)
    team_of = draw(st.dictionaries(st.sampled_from(["cart", "checkout", "search"]),
                                   st.sampled_from(["payments", "shop"]), max_size=3))
    return per_series, team_of


@settings(max_examples=150, deadline=None)
@given(cost_series())
def test_scope_window_sums_equal_each_merged_scope_summed_window_by_window(case):
    per_series, team_of = case
    keys = sorted(per_series)
    members = cost_scopes(keys, team_of)
    month_start, _ = month_bounds(AT, TZ)
    starts = [AT - 86_400, AT - 7 * 86_400, AT - 30 * 86_400, month_start]
    sums, newest = _scope_window_sums([per_series[k] for k in keys], list(members.values()), starts, AT, month_start)
    merged = merge_cost_scopes(per_series, team_of)
    assert set(merged) == set(members)
    for column, scope in enumerate(members):
        ts, usd = merged[scope]
        for row, start in enumerate(starts):
            expected = cost_in_window(ts, usd, start, AT)
            got = None if math.isnan(sums[row, column]) else float(sums[row, column])
            assert (got is None) == (expected is None), (scope, start)
            if expected is not None:
                assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12), (scope, start)
        forecast = forecast_month(ts, usd, AT, TZ)
        if forecast is not None:
            _, month_end = month_bounds(AT, TZ)
            projected = sums[3, column] * (month_end - month_start) / (newest[column] - month_start)
            assert math.isclose(projected, forecast, rel_tol=1e-12), scope
        else:
            assert newest[column] == -np.inf or math.isnan(sums[3, column])
