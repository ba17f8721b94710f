"""Hourly rollups: kept in step with every write, equal to the per-step sums, surviving
retention, and filled by the migration from samples stored before they existed."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from sloboard.store import Store, models
from sloboard.store.migrate import alembic_config
from tests.factories import make_slo

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
    got = store.read_series_hourly_many("cost", [("team-a", "usd"), ("team-b", "usd")], 0, 2**62)
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


def test_rollup_only_history_equals_writing_the_steps_then_pruning_them(store):
    """History older than the raw retention, written as rollups only, reads back as the
    same hourly sums as steps written normally and then deleted by retention."""
    store.sync_slos([make_slo(spec_hash="h1")])
    rng = np.random.default_rng(11)
    ts = H0 + np.arange(1, 6 * 60 + 1, dtype=np.int64) * 60  # six whole hours
    total = rng.integers(50, 500, ts.size).astype(float)
    good = total - rng.integers(0, 10, ts.size)
    good[100:130] = np.nan  # half an hour without data: neither summed nor counted
    assert store.write_sli_samples(SLO_ID, ts, good, total, rollup_only=True) == ts.size - 30

    keep = ~np.isnan(good)
    hours, (good_sums, total_sums), steps = _truth(ts[keep], good[keep], total[keep])
    got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    np.testing.assert_array_equal(got_ts, hours)
    np.testing.assert_array_equal(got_good, good_sums)
    np.testing.assert_array_equal(got_total, total_sums)
    np.testing.assert_array_equal(got_steps, steps)
    assert store.read_sli_samples(SLO_ID, 0, 2**62)[0].size == 0  # no per-step rows


def test_rollup_only_write_replaces_what_its_hours_held(store):
    """Steps and rollups stored for the hours a rollup-only batch spans are replaced, so
    writing the history twice, or over earlier raw steps, counts every step once."""
    store.sync_slos([make_slo(spec_hash="h1")])
    ts = H0 + np.arange(1, 3 * 60 + 1, dtype=np.int64) * 60  # three hours
    store.write_sli_samples(SLO_ID, ts, np.full(ts.size, 1.0), np.full(ts.size, 2.0))
    later = H0 + 5 * HOUR + np.arange(1, 61, dtype=np.int64) * 60  # an hour outside the batch's span
    store.write_sli_samples(SLO_ID, later, np.full(60, 1.0), np.full(60, 2.0))
    # Only the first and the third hour have steps in the batch; the second is empty in it.
    batch = np.r_[ts[:60], ts[120:]]
    for _ in range(2):
        store.write_sli_samples(SLO_ID, batch, np.full(batch.size, 3.0), np.full(batch.size, 4.0), rollup_only=True)

    got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([SLO_ID], 0, 2**62)[SLO_ID]
    assert got_ts.tolist() == [H0 + HOUR, H0 + 3 * HOUR, H0 + 6 * HOUR]
    assert got_good.tolist() == [180.0, 180.0, 60.0] and got_total.tolist() == [240.0, 240.0, 120.0]
    assert got_steps.tolist() == [60, 60, 60]
    # The steps of the batch's hours are gone; those of the later hour stay.
    np.testing.assert_array_equal(store.read_sli_samples(SLO_ID, 0, 2**62)[0], later)


def test_prune_keeps_each_kind_of_series_for_its_own_retention(store):
    ts = H0 + np.arange(1, 181, dtype=np.int64) * 60  # three hours
    store.write_series("golden", "checkout", "requests_per_s", ts, np.full(ts.size, 5.0))
    store.write_series("cost", "service:checkout", "opencost", ts, np.full(ts.size, 0.5))
    store.sync_slos([make_slo(spec_hash="h1")])
    store.write_sli_samples(SLO_ID, ts, np.full(ts.size, 9.0), np.full(ts.size, 10.0))

    deleted = store.delete_samples_before(H0 + HOUR, kind_cutoffs={"golden": H0 + 2 * HOUR})
    assert deleted == 60 + 120 + 60  # SLI and cost: the first hour; golden: the first two
    assert store.read_sli_samples(SLO_ID, 0, 2**62)[0].min() == H0 + HOUR + 60
    assert store.read_series("cost", "service:checkout", "opencost", 0, 2**62)[0].min() == H0 + HOUR + 60
    assert store.read_series("golden", "checkout", "requests_per_s", 0, 2**62)[0].min() == H0 + 2 * HOUR + 60
    sums = store.read_series_hourly_many("golden", [("checkout", "requests_per_s")], 0, 2**62)
    assert sums[("checkout", "requests_per_s")][1].tolist() == [300.0, 300.0, 300.0]  # rollups stay
