"""A golden-signal backfill longer than collect.golden_hourly_retention (90d), with the hourly
prune running between its chunks as it does under `sloboard run`, never splits a day kept as
a daily sum only, so no later write is refused.

A real Prometheus holds 100 days of a scraped counter (``scrapes``: one target scraped every
minute at 17 s past it, with jitter, its 5xx series born at the first 5xx). A collection pass
runs against it with the scheduler's prune before every query, starts 20 minutes before a
UTC midnight and moves the store's clock 3 minutes per query (the horizon of daily-only days
moves a day on mid-pass) and loses Prometheus at its 9th query; a second pass, pruned the
same way, completes. The stored daily sums, hourly rows and steps are compared with sums
computed here from the events behind the scrapes (``scrapes.step_truth``).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from collectors.collect import collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.targets import GroupedGoldenSignalTarget
from sloboard.errors import SourceUnavailable
from sloboard.scheduler import prune_raw_samples
from sloboard.settings import PrometheusSettings, Settings
from sloboard.store import Retention
from tests.conftest import FakeClock
from tests.series_reads import read_series

from . import scrapes
from .scrapes import Target

pytestmark = pytest.mark.integration

STEP, LOOKBACK, MAX_POINTS = 60, 300, 3_000  # 3,000 points: two whole days per chunk, more boundaries
HOUR, DAY = 3600, 86_400
MIDNIGHT = int(datetime(2026, 6, 10, tzinfo=timezone.utc).timestamp())
CLOCK_START = MIDNIGHT - 20 * 60  # the pass crosses this midnight: the horizon moves a day on
UNTIL = CLOCK_START - STEP
SINCE = 99 * DAY
DATA_START = UNTIL - 100 * DAY
TICK_S = 180  # store time that passes per query
TARGET = Target("shop", "shop-0:8080", interval_s=60, offset_s=17.0, jitter_s=0.5, rates=(3.0, 0.05))
KEY = ("shop", "traffic")


@pytest.fixture(scope="module")
def scraped() -> scrapes.Scraped:
    return scrapes.scrape(TARGET, DATA_START, UNTIL + 120, seed=17)


class PrunedSource:
    """The real Prometheus source with the scheduler's prune run before each query (at the
    store's clock, which then moves ``TICK_S`` on), failing as unreachable at query ``lost_at``."""

    def __init__(self, source, settings, store, clock: FakeClock, lost_at: int | None = None):
        self._source, self._settings, self._store, self._clock = source, settings, store, clock
        self.lost_at, self.calls, self.pruned = lost_at, [], 0

    def query_range(self, promql, start, end, step):
        self.calls.append((start, end))
        self.pruned += prune_raw_samples(self._settings, self._store, clock=self._clock)
        self._clock.advance(TICK_S)
        if len(self.calls) == self.lost_at:
            raise SourceUnavailable("prometheus at 127.0.0.1 went away (connection refused)")
        return self._source.query_range(promql, start, end, step)


def _sums(ts: np.ndarray, values: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per period ending at a multiple of ``period``: its end, the sum of values and the steps."""
    ends = (ts + period - 1) // period * period
    unique, index = np.unique(ends, return_inverse=True)
    return unique, np.bincount(index, weights=values), np.bincount(index)


def test_a_pruned_and_interrupted_backfill_past_the_hourly_horizon_completes_with_exact_days(
        prometheus_with, scraped, open_store, tmp_path):
    server = prometheus_with(scrapes.metric_series(scraped))
    settings = Settings(data_dir=tmp_path)
    clock = FakeClock(CLOCK_START)
    store = open_store(clock=clock, retention=Retention.from_settings(settings.collect))
    target = GroupedGoldenSignalTarget("traffic", frozenset({"shop"}), load_queries(), LOOKBACK)
    prometheus = PrometheusSource(PrometheusSettings(url=server.url, retry_max_s=1))
    try:
        def run_pass(lost_at: int | None):
            source = PrunedSource(prometheus, settings, store, clock, lost_at)
            summary = collect_pass(store, source, [target], until=UNTIL, since_s=SINCE, step=STEP,
                                   max_points=MAX_POINTS)
            return source, summary

        first, interrupted = run_pass(lost_at=9)
        assert clock() > MIDNIGHT  # the horizon of daily-only days moved from MIDNIGHT - 91d to - 90d
        second, completed = run_pass(lost_at=None)
    finally:
        prometheus.close()

    (lost,) = interrupted.failed
    assert "went away" in lost.error
    assert completed.failed == [] and store.watermark(target.key) == UNTIL
    assert [run.status for run in store.runs()] == ["ok", "failed"]
    assert first.pruned > 0  # the prunes deleted rows between chunks
    # Every chunk ending at or before the horizon of the pass's start ended at a midnight.
    old = [end for _, end in first.calls if end <= MIDNIGHT - 91 * DAY]
    assert len(old) == 4 and all(end % DAY == 0 for end in old)
    # The second pass went on from where the first stopped: each grid point asked for once.
    calls = first.calls[:8] + second.calls
    assert calls[0][0] == UNTIL - SINCE + STEP and calls[-1][1] == UNTIL
    assert all(b[0] == a[1] + STEP for a, b in zip(calls, calls[1:]))

    step_ends = np.arange(UNTIL - SINCE + STEP, UNTIL + 1, STEP, dtype=np.int64)
    traffic = sum(scrapes.step_truth(scraped, code, step_ends, STEP, LOOKBACK) for code in scrapes.CODES) / STEP
    horizon = Retention.from_settings(settings.collect).day_horizon("golden", clock())
    assert horizon == MIDNIGHT - 90 * DAY

    days, day_sums, day_steps = store.read_series_spans_many("golden", [KEY], [], (0, 0), (0, 2**40))[1][KEY]
    want_days, want_sums, want_steps = _sums(step_ends, traffic, DAY)
    np.testing.assert_array_equal(days, want_days)  # no day missing, none twice
    np.testing.assert_array_equal(day_steps, want_steps)  # every step of every day counted once
    np.testing.assert_allclose(day_sums, want_sums, rtol=1e-9)
    assert (days <= horizon).sum() >= 9  # days kept as daily sums only

    hours, hour_sums, hour_steps = store.read_series_spans_many("golden", [KEY], [], (0, 2**40))[1][KEY]
    recent = step_ends > horizon
    want_hours, want_hour_sums, want_hour_steps = _sums(step_ends[recent], traffic[recent], HOUR)
    np.testing.assert_array_equal(hours, want_hours)  # no hours left in the daily-only days
    np.testing.assert_array_equal(hour_steps, want_hour_steps)
    np.testing.assert_allclose(hour_sums, want_hour_sums, rtol=1e-9)

    # The last day's steps are kept as steps: the tail of the grid, each step's own value.
    ts, values = read_series(store, "golden", *KEY, 0, 2**40)
    assert clock() - DAY - HOUR < ts.min() <= clock() - DAY + HOUR  # collect.golden_raw_retention: 1d
    np.testing.assert_array_equal(ts, step_ends[-ts.size:])
    np.testing.assert_allclose(values, traffic[-ts.size:], rtol=1e-9)
