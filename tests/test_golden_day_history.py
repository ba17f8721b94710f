"""Golden signals keep hourly rows for collect.golden_hourly_retention only, daily rows for
the long history: the prune deletes whole days of their hours and keeps the days, a
backfill writes whole days older than that as day rows only, a write that would rebuild
such a day from hours it no longer has is refused, and charts read old ranges from day
rows, on SQLite and PostgreSQL (``store_url``). Truths are computed here with numpy from
the steps written."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sloboard.errors import StoreError
from sloboard.reads.golden_signals import golden_signals
from sloboard.settings import CollectSettings
from sloboard.store import Retention
from tests.series_reads import read_series, read_series_hourly

HOUR = 3600
DAY = 86_400
STEP = 300
D0 = 1_800_000_000 - 1_800_000_000 % DAY  # a UTC midnight
NOW = D0 + 12 * DAY + 5 * HOUR + 17 * 60
# Golden steps for a day, hours for 4 days, days for the rest (the SLI and cost numbers are unused here).
RETENTION = Retention(raw_s=2 * DAY, golden_raw_s=DAY, rollup_s=400 * DAY, golden_hourly_s=4 * DAY)
HORIZON = D0 + 8 * DAY  # floor_day(NOW - 4 d)
KEY = ("checkout", "traffic")
ALL = (0, 2**40)


def _steps(seed: int = 1):
    """Twelve days and a bit of 5-minute steps up to NOW, with holes (each period weighs its own steps)."""
    ts = np.arange(D0 + STEP, NOW + 1, STEP, dtype=np.int64)
    rng = np.random.default_rng(seed)
    keep = rng.random(ts.size) > 0.15
    return ts[keep], rng.uniform(1, 100, keep.sum())


def _period_sums(ts, values, period: int):
    ends = -(-ts // period) * period
    unique = np.unique(ends)
    return unique, np.array([values[ends == e].sum() for e in unique]), np.array([(ends == e).sum() for e in unique])


def _daily(store, kind: str = "golden", key=KEY):
    _steps_read, rows = store.read_series_spans_many(kind, [key], [], (0, 0), ALL)
    return rows[key]


def _hourly(store, kind: str = "golden", key=KEY):
    return read_series_hourly(store, kind, [key], *ALL)[key]


def _assert_days(store, ts, values, kind: str = "golden", key=KEY):
    days, sums, steps = _period_sums(ts, values, DAY)
    d_ts, d_sums, d_steps = _daily(store, kind, key)
    np.testing.assert_array_equal(d_ts, days)
    np.testing.assert_array_equal(d_steps, steps)
    np.testing.assert_allclose(d_sums, sums, rtol=1e-12)


def _backfill(store, ts, values, cuts):
    """Write as a collector's chunks do: each the complete data of its (after, through]."""
    bounds = [D0, *cuts, NOW]
    for after, through in zip(bounds, bounds[1:]):
        inside = (ts > after) & (ts <= through)
        store.write_series("golden", *KEY, ts[inside], values[inside], span=(after, through))


def test_the_setting_lies_between_the_step_and_the_rollup_retention():
    assert CollectSettings().golden_hourly_retention == "90d"
    assert Retention.from_settings(CollectSettings()).golden_hourly_s == 90 * DAY
    for bad in ("12h", "401d"):
        with pytest.raises(ValidationError, match=f"golden_hourly_retention \\({bad}\\) must be at least "
                                                  "golden_raw_retention \\(1d\\) and at most rollup_retention"):
            CollectSettings(golden_hourly_retention=bad)
    # Unset, the default is brought within the other two, so shorter rollup retentions keep working.
    assert CollectSettings(rollup_retention="30d").golden_hourly_retention == "30d"
    assert CollectSettings(golden_raw_retention="120d").golden_hourly_retention == "120d"


def test_cutoffs_cut_golden_hours_at_a_day_boundary_and_leave_other_kinds_alone():
    cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
    assert (cutoff, kinds, rollup) == (NOW - 2 * DAY, {"golden": NOW - DAY}, NOW - 400 * DAY)
    assert hourly == {"golden": HORIZON}
    assert RETENTION.day_horizon(None, NOW) is None and RETENTION.day_horizon("cost", NOW) is None
    assert Retention(2 * DAY, DAY, 400 * DAY).cutoffs(NOW)[3] == {}  # hours as long as days: nothing extra


def test_prune_deletes_old_golden_hours_and_keeps_their_days_and_other_kinds_hours(store):
    ts, values = _steps()
    store.write_series("golden", *KEY, ts, values)
    store.write_series("cost", "service:checkout", "opencost", ts, values / 7)
    cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
    store.delete_samples_before(cutoff, kind_cutoffs=kinds, rollup_cutoff=rollup, kind_hourly_cutoffs=hourly)

    h_ts, h_sums, h_steps = _hourly(store)
    hours, sums, steps = _period_sums(ts, values, HOUR)
    after = hours > HORIZON
    np.testing.assert_array_equal(h_ts, hours[after])  # every hour after the horizon, none at or before it
    np.testing.assert_allclose(h_sums, sums[after], rtol=1e-12)
    np.testing.assert_array_equal(h_steps, steps[after])
    _assert_days(store, ts, values)  # every day, whole: never rebuilt from the hours left
    cost_hours = _hourly(store, "cost", ("service:checkout", "opencost"))[0]
    np.testing.assert_array_equal(cost_hours, hours)
    with pytest.raises(ValueError, match="UTC day boundaries"):
        store.delete_samples_before(0, kind_hourly_cutoffs={"golden": HORIZON + HOUR})


def test_a_rollup_cutoff_inside_a_day_keeps_the_golden_day_whole_and_cuts_the_others(store):
    ts, values = _steps()
    store.write_series("golden", *KEY, ts, values)
    store.write_series("cost", "service:checkout", "opencost", ts, values)
    store.delete_samples_before(0, rollup_cutoff=D0 + 8 * DAY, kind_hourly_cutoffs={"golden": D0 + 9 * DAY})
    store.delete_samples_before(0, rollup_cutoff=D0 + 9 * DAY + 7 * HOUR, kind_hourly_cutoffs={"golden": D0 + 9 * DAY})
    later = ts > D0 + 9 * DAY
    _assert_days(store, ts[later], values[later])  # the tenth day, holding the cutoff, keeps its whole sums
    cost_later = ts > D0 + 9 * DAY + 7 * HOUR
    _assert_days(store, ts[cost_later], values[cost_later], "cost", ("service:checkout", "opencost"))


def test_backfill_writes_whole_old_days_as_day_rows_only_and_each_day_is_the_sum_of_its_steps(open_store):
    store = open_store(clock=lambda: NOW, retention=RETENTION)
    ts, values = _steps()
    _backfill(store, ts, values, [D0 + 3 * DAY + 5 * HOUR + 600, D0 + 8 * DAY + 2 * HOUR, D0 + 11 * DAY])
    _assert_days(store, ts, values)
    # Hours only in the partial day at the first chunk's edge (the fourth day) and after the horizon.
    hours = np.unique(-(-_hourly(store)[0] // DAY) * DAY)
    assert hours.tolist() == [D0 + 4 * DAY, D0 + 9 * DAY, D0 + 10 * DAY, D0 + 11 * DAY, D0 + 12 * DAY, D0 + 13 * DAY]
    assert read_series(store, "golden", *KEY, *ALL)[0].min() > D0 + 3 * DAY  # steps only at the chunk edges or later

    cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
    store.delete_samples_before(cutoff, kind_cutoffs=kinds, rollup_cutoff=rollup, kind_hourly_cutoffs=hourly)
    _assert_days(store, ts, values)
    assert _hourly(store)[0].min() > HORIZON


def test_a_write_into_part_of_a_day_kept_as_its_sum_only_is_refused_and_whole_days_are_replaced(open_store):
    store = open_store(clock=lambda: NOW, retention=RETENTION)
    ts, values = _steps()
    _backfill(store, ts, values, [D0 + 3 * DAY + 5 * HOUR + 600])
    cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
    store.delete_samples_before(cutoff, kind_cutoffs=kinds, rollup_cutoff=rollup, kind_hourly_cutoffs=hourly)

    part = (ts > D0 + 3 * DAY + 2 * HOUR) & (ts <= D0 + 3 * DAY + 9 * HOUR)  # inside the fourth day
    with pytest.raises(StoreError, match=r"the UTC day\(s\) 2027-01-(\d\d) are kept as daily sums only"):
        store.write_series("golden", *KEY, ts[part], values[part] + 1, span=(D0 + 3 * DAY + 2 * HOUR,
                                                                             D0 + 3 * DAY + 9 * HOUR))
    with pytest.raises(StoreError, match="re-write whole UTC days there"):
        store.write_series("golden", *KEY, ts[part], values[part] + 1)  # no span: steps, refused as well
    _assert_days(store, ts, values)  # nothing changed

    day = (ts > D0 + 3 * DAY) & (ts <= D0 + 4 * DAY)
    values = values.copy()
    values[day] += 1
    store.write_series("golden", *KEY, ts[day], values[day], span=(D0 + 3 * DAY, D0 + 4 * DAY))
    _assert_days(store, ts, values)


def test_charts_of_old_ranges_are_day_means_from_day_rows_without_a_gap(open_store):
    store = open_store(clock=lambda: NOW, retention=RETENTION)
    ts, values = _steps()
    _backfill(store, ts, values, [D0 + 5 * DAY + 600])
    cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
    store.delete_samples_before(cutoff, kind_cutoffs=kinds, rollup_cutoff=rollup, kind_hourly_cutoffs=hourly)

    start = D0 + DAY + 7 * HOUR  # inside a day: that day counts whole
    got = golden_signals(store, "checkout", start, NOW, 3 * HOUR, raw_retention_s=DAY,
                         hourly_retention_s=4 * DAY)["traffic"]
    # Each step stands at the end of the row that holds it: its day before the horizon, its
    # hour up to the last whole hour, itself after; buckets are whole UTC days.
    last_hour = NOW - NOW % HOUR
    day_end, hour_end = -(-ts // DAY) * DAY, -(-ts // HOUR) * HOUR
    at = np.where(day_end <= HORIZON, day_end, np.where(ts <= last_hour, hour_end, ts))
    inside = at > start
    buckets = -(-at[inside] // DAY) * DAY
    ends = np.unique(buckets)
    np.testing.assert_array_equal(got.ts, np.minimum(ends, NOW))
    np.testing.assert_allclose(got.values, [values[inside][buckets == e].mean() for e in ends], rtol=1e-12)
    assert not np.isnan(got.values).any()  # every day of the range has its mean: no hole before the horizon

    # A range of the past, ending before the horizon: day means from the day rows as well (not a
    # blank chart), but for the day ``end`` lies inside, whose row holds later steps.
    end = HORIZON - 2 * DAY + 5 * HOUR
    past = golden_signals(store, "checkout", start, end, 3 * HOUR, raw_retention_s=DAY, hourly_retention_s=4 * DAY,
                          now=NOW)["traffic"]
    inside = (day_end > start) & (day_end <= end - end % DAY)
    buckets = day_end[inside]
    ends = np.unique(buckets)
    np.testing.assert_array_equal(past.ts[:-1], ends)
    np.testing.assert_allclose(past.values[:-1], [values[inside][buckets == e].mean() for e in ends], rtol=1e-12)
    assert past.ts[-1] == end and np.isnan(past.values[-1])

    # A range inside the hourly retention is still drawn from hours.
    recent = golden_signals(store, "checkout", NOW - 3 * DAY, NOW, 3 * HOUR, raw_retention_s=DAY,
                            hourly_retention_s=4 * DAY)["traffic"]
    assert np.diff(recent.ts)[:-1].tolist() == [3 * HOUR] * (recent.ts.size - 2)
    assert not np.isnan(recent.values).any()


_stores: dict = {}
_example = itertools.count()  # examples share one store per backend: each writes a series of its own


def _chunk_bounds(last: int = NOW):
    """A span ``(after, through]`` cut on hours: a write cut inside an hour kept as its sum only rebuilds
    that hour from the steps it has (samples.write), which a day row then follows; not what this tests."""
    first, end = D0 // HOUR, -(-last // HOUR)  # ``through`` up to ``last`` itself
    return st.integers(first, end - 1).flatmap(
        lambda a: st.integers(a + 1, end).map(lambda b: (a * HOUR, min(b * HOUR, last))))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(_chunk_bounds(), min_size=1, max_size=6), prune=st.booleans(),
       late=st.lists(_chunk_bounds(HORIZON), max_size=3),
       seed=st.integers(0, 2**32 - 1))
def test_day_rows_are_the_sums_of_their_steps_after_any_backfill_prune_and_late_writes(open_store, chunks, prune,
                                                                                      late, seed):
    """Chunks written in any order and overlapping (each the complete data of its span,
    new values each time), then perhaps the prune, then late writes into the days kept as
    sums only: every day row holds exactly the steps last written in its day and their
    sums, and a write is either refused, leaving every row as it was, because it holds
    part of a day before the horizon, or lands."""
    if open_store not in _stores:
        _stores.clear()
        _stores[open_store] = open_store(clock=lambda: NOW, retention=RETENTION)
    store, key = _stores[open_store], (f"svc{next(_example)}", "traffic")
    rng = np.random.default_rng(seed)
    grid = np.arange(D0 + STEP, NOW + 1, STEP, dtype=np.int64)
    grid = grid[rng.random(grid.size) > 0.15]  # the same holes in every write: a span's data is its steps
    truth: dict[int, float] = {}

    def write(after: int, through: int) -> None:
        ts = grid[(grid > after) & (grid <= through)]
        values = rng.uniform(1, 100, ts.size)
        try:
            store.write_series("golden", *key, ts, values, span=(after, through))
        except StoreError as exc:
            # Only a part of a day before the horizon is refused (that day may be kept as its sum only).
            partial = [-(-t // DAY) * DAY for t, inside in ((after + 1, after % DAY), (through, through % DAY)) if inside]
            assert any(day <= HORIZON for day in partial), exc
            return
        truth.update(zip(ts.tolist(), values.tolist()))

    def assert_days() -> None:
        t_ts = np.array(sorted(truth), np.int64)
        _assert_days(store, t_ts, np.array([truth[t] for t in t_ts.tolist()]), key=key)

    for after, through in chunks:
        write(after, through)
    assert_days()
    if prune:
        cutoff, kinds, rollup, hourly = RETENTION.cutoffs(NOW)
        store.delete_samples_before(cutoff, kind_cutoffs=kinds, rollup_cutoff=rollup, kind_hourly_cutoffs=hourly)
        assert_days()
        assert _hourly(store, key=key)[0].min(initial=2**40) > HORIZON
    for after, through in late:
        write(after, through)
        assert_days()
