"""The cost chart's stack: the biggest spenders by name, the rest summed into one series."""

from __future__ import annotations

import numpy as np

from sloboard.engine.buckets import Series, biggest_and_rest

TS = np.arange(1, 5, dtype=np.int64) * 86_400


def _series(spend_per_day: dict[str, list[float]]) -> dict[str, Series]:
    return {name: Series(TS, np.array(days, dtype=np.float64)) for name, days in spend_per_day.items()}


def test_the_biggest_spenders_are_kept_by_name_and_the_rest_summed():
    rng = np.random.default_rng(1)
    spend = {f"svc-{i:02d}": rng.uniform(0, 50, TS.size).tolist() for i in range(13)}
    spend["svc-03"][2] = np.nan  # a day without data
    spend["quiet"] = [np.nan] * TS.size  # nothing recorded in the range: no series at all
    biggest, rest = biggest_and_rest(_series(spend), 10)

    totals = {name: np.nansum(days) for name, days in spend.items() if name != "quiet"}
    ranked = sorted(totals, key=lambda name: -totals[name])
    assert list(biggest) == ranked[:10]
    assert rest is not None and rest.count == 3
    np.testing.assert_allclose(rest.series.values, np.nansum([spend[name] for name in ranked[10:]], axis=0))
    np.testing.assert_array_equal(rest.series.ts, TS)


def test_few_series_are_kept_whole_and_a_time_without_any_data_stays_empty():
    biggest, rest = biggest_and_rest(_series({"a": [1.0, np.nan, 3.0, 4.0], "b": [2.0, np.nan, 1.0, 0.5]}), 10)
    assert list(biggest) == ["a", "b"] and rest is None
    _, rest = biggest_and_rest(_series({f"s{i:02d}": [1.0 + i, np.nan, 1.0, 1.0] for i in range(12)}), 10)
    assert rest is not None and np.isnan(rest.series.values[1])
    assert rest.series.values[0] == 1.0 + 2.0  # s00 and s01 spent least
