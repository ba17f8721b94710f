"""Hourly rollups: kept in step with every write, equal to the per-step sums, surviving
retention, and filled by the migration from samples stored before they existed."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from sloboard.store import Retention, Store, models
from sloboard.store.migrate import alembic_config
from tests.factories import make_slo
from tests.series_reads import read_series, read_series_hourly

HOUR = 3600
H0 = 1_800_000_000 - 1_800_000_000 % HOUR  # an hour boundary
SLO_ID = "checkout/availability"


def _truth(ts: np.ndarray, *values: np.ndarray):
    """Per-hour sums computed independently: a step ending at t belongs to the hour ending at ceil(t / 3600) * 3600."""
    hours = np.ceil(ts / HOUR).astype(np.int64) * HOUR
    ends = np.unique(hours)
    sums = [np.array([v[hours == h].sum() for h in ends]) for v in values]
    steps = np.array([(hours == h).sum() for h in ends])
    return ends, sums, steps


def test_hourly_rollup_matches_the_steps_after_overlapping_writes(store):
    store.sync_slos([make_slo(spec_hash="h1")])
    rng = np.random.default_rng(5)
    ts = H0 + np.arange(1, 200, dtype=np.int64) * 60  # 3 h 19 min of 1-minute steps
    total = rng.integers(50, 500, ts.size).astype(float)
    good = total - rng.integers(0, 10, ts.size)
    store.write_sli_samples(SLO_ID, ts[:90], good[:90], total[:90])  # ends mid-hour
    # Re-collect a stretch across the hour boundary with new counts, then the rest.
    good[70:130] -= 1
    store.write_sli_samples(SLO_ID, ts[70:130], good[70:130], total[70:130])
    store.write_sli_samples(SLO_ID, ts[130:], good[130:], total[130:])

    got = store.read_sli_hourly_many([SLO_ID, "never/synced"], 0, 2**62)
    hours, (good_sums, total_sums), steps = _truth(ts, good, total)
    got_ts, got_good, got_total, got_steps = got[SLO_ID]
    np.testing.assert_array_equal(got_ts, hours)
    np.testing.assert_array_equal(got_good, good_sums)
    np.testing.assert_array_equal(got_total, total_sums)
    np.testing.assert_array_equal(got_steps, [60, 60, 60, 19])
    np.testing.assert_array_equal(got_steps, steps)
    assert got_steps.dtype == np.int64
    assert [a.size for a in got["never/synced"]] == [0, 0, 0, 0]
    # Whole hours add up to the per-step sums; the range is half-open on hour ends.
    assert got_good.sum() == store.read_sli_samples(SLO_ID, 0, 2**62)[1].sum()
    np.testing.assert_array_equal(store.read_sli_hourly_many([SLO_ID], H0 + HOUR, H0 + 3 * HOUR)[SLO_ID][0], [H0 + 2 * HOUR, H0 + 3 * HOUR])


def test_rollups_outlive_retention_of_steps(store):
    store.sync_slos([make_slo(spec_hash="h1")])
    ts = H0 + np.arange(1, 121, dtype=np.int64) * 60
    store.write_sli_samples(SLO_ID, ts, np.full(120, 9.0), np.full(120, 10.0))
    store.delete_samples_before(H0 + HOUR)
    assert store.read_sli_samples(SLO_ID, 0, 2**62)[0].size == 60
    hourly_ts, good, total, steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    assert hourly_ts.tolist() == [H0 + HOUR, H0 + 2 * HOUR]
    assert good.tolist() == [540.0, 540.0] and total.tolist() == [600.0, 600.0] and steps.tolist() == [60, 60]


def test_series_rollup_sums_and_counts(store):
    ts = H0 + np.arange(1, 151, dtype=np.int64) * 60
    usd = np.linspace(0.01, 1.5, 150)
    usd[10] = np.nan  # no data: neither summed nor counted
    store.write_series("cost", "team-a", "usd", ts, usd)
    got = read_series_hourly(store, "cost", [("team-a", "usd"), ("team-b", "usd")], 0, 2**62)
    keep = ~np.isnan(usd)
    hours, (sums,), steps = _truth(ts[keep], usd[keep])
    got_ts, got_sums, got_steps = got[("team-a", "usd")]
    np.testing.assert_array_equal(got_ts, hours)
    assert got_sums == pytest.approx(sums, rel=1e-12)
    np.testing.assert_array_equal(got_steps, steps)
    assert got_steps.tolist() == [59, 60, 30]
    assert [a.size for a in got[("team-b", "usd")]] == [0, 0, 0]


def test_upgrading_fills_rollups_from_samples_stored_before_them(store_url):
    Store.open(store_url, upgrade=False).close()  # creates the SQLite file's directory
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
            conn.execute(sa.insert(models.slos).values(
                id=1, slo_id=SLO_ID, service="checkout", name="availability", team="", objective=0.999,
                window="28d", format="", spec_path="", spec_hash="h", version=1, active=True,
                created_at=0.0, updated_at=0.0,
            ))
            conn.execute(
                sa.insert(models.sli_samples),
                [{"slo_pk": 1, "ts": H0 + m * 60, "good": float(m % 7), "total": 10.0} for m in range(1, 91)],
            )
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        hourly_ts, good, total, steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
        minutes = np.arange(1, 91)
        assert hourly_ts.tolist() == [H0 + HOUR, H0 + 2 * HOUR]
        assert good.tolist() == [float((minutes[:60] % 7).sum()), float((minutes[60:] % 7).sum())]
        assert total.tolist() == [600.0, 300.0] and steps.tolist() == [60, 30]
    finally:
        store.close()


DAY = 86_400
# Steps kept one day, golden signals and rollups as long as the others.
ONE_DAY = Retention(raw_s=DAY, golden_raw_s=DAY, rollup_s=400 * DAY)


def _retaining(open_store, now: int):
    """A store that keeps one day of steps, its clock at ``now``."""
    store = open_store(clock=lambda: now, retention=ONE_DAY)
    store.sync_slos([make_slo(spec_hash="h1")])
    return store


def test_old_whole_hours_of_a_span_are_kept_as_hourly_sums_only(open_store):
    """Whole hours of a write's span past the step retention become rollup rows equal to
    their steps' sums; the span's partial edge hours and recent hours stay steps."""
    now = H0 + DAY + 3 * HOUR
    store = _retaining(open_store, now)  # steps older than H0 + 3 h are history
    rng = np.random.default_rng(11)
    after = H0 - 20 * 60  # the span starts 20 minutes into an hour
    ts = after + np.arange(1, 7 * 60 + 1, dtype=np.int64) * 60
    total = rng.integers(50, 500, ts.size).astype(float)
    good = total - rng.integers(0, 10, ts.size)
    good[100:130] = np.nan  # half an hour without data: neither summed nor counted
    assert store.write_sli_samples(SLO_ID, ts, good, total, span=(after, int(ts[-1]))) == ts.size - 30

    keep = ~np.isnan(good)
    hours, (good_sums, total_sums), steps = _truth(ts[keep], good[keep], total[keep])
    got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    np.testing.assert_array_equal(got_ts, hours)
    np.testing.assert_array_equal(got_good, good_sums)
    np.testing.assert_array_equal(got_total, total_sums)
    np.testing.assert_array_equal(got_steps, steps)
    # Steps stay for the partial first hour (it shares its rollup row with the batch
    # before) and from the horizon on; the three whole hours before it are sums only.
    stored = store.read_sli_samples(SLO_ID, 0, 2**62)[0]
    kept_as_steps = ts[keep & ((ts <= H0) | (ts > H0 + 3 * HOUR))]
    np.testing.assert_array_equal(stored, kept_as_steps)


def test_history_written_in_chunks_keeps_exact_hourly_sums(open_store):
    """Chunks whose edges cut hours, written with their spans, give every hour its exact
    sums (the hours two chunks share are rebuilt from both chunks' steps); writing them
    twice changes nothing, and after the prune only recent steps remain."""
    now = H0 + DAY + 5 * HOUR
    store = _retaining(open_store, now)
    rng = np.random.default_rng(3)
    ts = H0 + np.arange(1, 9 * 60 + 1, dtype=np.int64) * 60
    total = rng.integers(50, 500, ts.size).astype(float)
    good = total - rng.integers(0, 10, ts.size)
    cuts = [0, 95, 200, 201, 380, ts.size]  # chunk edges off the hour grid
    for _ in range(2):
        for a, b in zip(cuts, cuts[1:]):
            after = int(ts[a - 1]) if a else H0
            store.write_sli_samples(SLO_ID, ts[a:b], good[a:b], total[a:b], span=(after, int(ts[b - 1])))
    hours, (good_sums, total_sums), steps = _truth(ts, good, total)
    got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    np.testing.assert_array_equal(got_ts, hours)
    np.testing.assert_array_equal(got_good, good_sums)
    np.testing.assert_array_equal(got_total, total_sums)
    np.testing.assert_array_equal(got_steps, steps)
    store.delete_samples_before(now - DAY)
    np.testing.assert_array_equal(store.read_sli_samples(SLO_ID, 0, 2**62)[0], ts[ts > now - DAY])


def test_a_history_write_replaces_what_its_hours_held(open_store):
    """Steps and rollups stored for the whole hours a history write spans are replaced, so
    re-writing history, or writing it over earlier steps, counts every step once."""
    now = H0 + DAY + 9 * HOUR
    store = _retaining(open_store, now)
    ts = H0 + np.arange(1, 3 * 60 + 1, dtype=np.int64) * 60  # three hours
    store.write_sli_samples(SLO_ID, ts, np.full(ts.size, 1.0), np.full(ts.size, 2.0))
    later = H0 + 5 * HOUR + np.arange(1, 61, dtype=np.int64) * 60  # an hour outside the span
    store.write_sli_samples(SLO_ID, later, np.full(60, 1.0), np.full(60, 2.0))
    # Only the first and the third hour have steps in the batch; the second is empty in it.
    batch = np.r_[ts[:60], ts[120:]]
    store.write_sli_samples(SLO_ID, batch, np.full(batch.size, 3.0), np.full(batch.size, 4.0),
                            span=(H0, H0 + 3 * HOUR))

    got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    assert got_ts.tolist() == [H0 + HOUR, H0 + 3 * HOUR, H0 + 6 * HOUR]
    assert got_good.tolist() == [180.0, 180.0, 60.0] and got_total.tolist() == [240.0, 240.0, 120.0]
    assert got_steps.tolist() == [60, 60, 60]
    # The steps of the span's hours are gone; those of the later hour stay.
    np.testing.assert_array_equal(store.read_sli_samples(SLO_ID, 0, 2**62)[0], later)


def test_golden_signals_keep_steps_for_their_own_retention(open_store):
    now = H0 + 2 * DAY
    store = open_store(clock=lambda: now, retention=Retention(raw_s=2 * DAY, golden_raw_s=DAY, rollup_s=400 * DAY))
    ts = H0 + np.arange(1, 2 * 24 * 60 + 1, dtype=np.int64) * 60  # two days
    span = (H0, int(ts[-1]))
    store.write_series("golden", "checkout", "traffic", ts, np.full(ts.size, 5.0), span=span)
    store.write_series("cost", "service:checkout", "opencost", ts, np.full(ts.size, 0.5), span=span)
    assert read_series(store, "golden", "checkout", "traffic", 0, 2**62)[0].min() == H0 + DAY + 60
    assert read_series(store, "cost", "service:checkout", "opencost", 0, 2**62)[0].size == ts.size
    sums = read_series_hourly(store, "golden", [("checkout", "traffic")], 0, 2**62)[("checkout", "traffic")]
    assert sums[1].tolist() == [300.0] * 48 and sums[2].tolist() == [60] * 48


def test_prune_keeps_each_kind_of_series_for_its_own_retention(store):
    ts = H0 + np.arange(1, 181, dtype=np.int64) * 60  # three hours
    store.write_series("golden", "checkout", "requests_per_s", ts, np.full(ts.size, 5.0))
    store.write_series("cost", "service:checkout", "opencost", ts, np.full(ts.size, 0.5))
    store.sync_slos([make_slo(spec_hash="h1")])
    store.write_sli_samples(SLO_ID, ts, np.full(ts.size, 9.0), np.full(ts.size, 10.0))

    deleted = store.delete_samples_before(H0 + HOUR, kind_cutoffs={"golden": H0 + 2 * HOUR})
    assert deleted == 60 + 120 + 60  # SLI and cost: the first hour; golden: the first two
    assert store.read_sli_samples(SLO_ID, 0, 2**62)[0].min() == H0 + HOUR + 60
    assert read_series(store, "cost", "service:checkout", "opencost", 0, 2**62)[0].min() == H0 + HOUR + 60
    assert read_series(store, "golden", "checkout", "requests_per_s", 0, 2**62)[0].min() == H0 + 2 * HOUR + 60
    sums = read_series_hourly(store, "golden", [("checkout", "requests_per_s")], 0, 2**62)
    assert sums[("checkout", "requests_per_s")][1].tolist() == [300.0, 300.0, 300.0]  # rollups stay
