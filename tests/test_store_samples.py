"""SLI samples and series: round trips, idempotent upserts, overwrites, and chunk +
watermark atomicity, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sloboard.errors import StoreError
from sloboard.store import Store
from tests.factories import make_slo
from tests.series_reads import read_series

STEP = 60
T0 = 1_800_000_000 - 1_800_000_000 % STEP


def _sync(store: Store, *ids: str) -> None:
    store.sync_slos([make_slo(id=i, service=i.split("/")[0], name=i.split("/")[1], spec_hash=i) for i in ids])


def _chunk(n: int, *, first: int = 1, seed: int = 0):
    """``n`` steps ending at T0 + first*STEP ...; good <= total, both whole counts."""
    rng = np.random.default_rng(seed)
    ts = T0 + (np.arange(n, dtype=np.int64) + first) * STEP
    total = rng.integers(100, 10_000, n).astype(float)
    good = total - rng.integers(0, 100, n)
    return ts, good, total


def test_sli_samples_round_trip_with_half_open_range(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(100)
    assert store.write_sli_samples("checkout/availability", ts, good, total) == 100

    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", int(ts[9]), int(ts[49]))
    # start < ts <= end: the step ending at ts[9] is excluded, the one ending at ts[49] included.
    np.testing.assert_array_equal(got_ts, ts[10:50])
    np.testing.assert_array_equal(got_good, good[10:50])
    np.testing.assert_array_equal(got_total, total[10:50])
    assert got_ts.dtype == np.int64 and got_good.dtype == np.float64 and got_total.dtype == np.float64
    assert store.latest_sample_ts("checkout/availability") == ts[-1]


def test_writing_the_same_chunk_twice_changes_nothing(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(500)
    store.write_sli_samples("checkout/availability", ts, good, total)
    store.write_sli_samples("checkout/availability", ts, good, total)

    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", 0, 2**62)
    assert got_ts.size == 500
    assert got_good.sum() == good.sum() and got_total.sum() == total.sum()


def test_a_recollected_step_overwrites_and_new_steps_append(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(10)
    store.write_sli_samples("checkout/availability", ts, good, total)
    # Steps 6..15: five overlap (re-collected with new counts), five are new.
    ts2, good2, total2 = _chunk(10, first=6, seed=1)
    store.write_sli_samples("checkout/availability", ts2, good2, total2)

    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", 0, 2**62)
    np.testing.assert_array_equal(got_ts, np.concatenate([ts[:5], ts2]))
    np.testing.assert_array_equal(got_good, np.concatenate([good[:5], good2]))
    np.testing.assert_array_equal(got_total, np.concatenate([total[:5], total2]))


def test_an_older_chunk_fills_in_behind_newer_data(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(20)
    store.write_sli_samples("checkout/availability", ts[10:], good[10:], total[10:])
    store.write_sli_samples("checkout/availability", ts[:10], good[:10], total[:10])  # backfill
    got_ts, got_good, _ = store.read_sli_samples("checkout/availability", 0, 2**62)
    np.testing.assert_array_equal(got_ts, ts)
    np.testing.assert_array_equal(got_good, good)


def test_nan_steps_are_not_stored_and_repeated_steps_keep_the_last(store):
    _sync(store, "checkout/availability")
    ts = np.array([T0 + 180, T0 + 60, T0 + 120, T0 + 60], dtype=np.int64)
    good = np.array([3.0, 1.0, np.nan, 11.0])
    total = np.array([3.0, 2.0, 5.0, 12.0])
    assert store.write_sli_samples("checkout/availability", ts, good, total) == 2

    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", 0, 2**62)
    np.testing.assert_array_equal(got_ts, [T0 + 60, T0 + 180])
    np.testing.assert_array_equal(got_good, [11.0, 3.0])
    np.testing.assert_array_equal(got_total, [12.0, 3.0])


@pytest.mark.parametrize(
    "ts, good, total, message",
    [
        pytest.param([1, 2], [1.0], [1.0, 2.0], "differ in length", id="arrays of different length fail"),
        pytest.param([1.5], [1.0], [1.0], "integer epoch seconds", id="float timestamps fail"),
        pytest.param([[1]], [[1.0]], [[1.0]], "one-dimensional", id="2-d arrays fail"),
    ],
)
def test_malformed_arrays_are_refused(store, ts, good, total, message):
    _sync(store, "checkout/availability")
    with pytest.raises(ValueError, match=message):
        store.write_sli_samples("checkout/availability", ts, good, total)


def test_writing_for_an_unknown_slo_names_it(store):
    with pytest.raises(StoreError, match="unknown SLO 'nope/nothing'; load its spec first"):
        store.write_sli_samples("nope/nothing", [T0], [1.0], [1.0])


def test_read_many_returns_every_asked_slo_from_one_query(store):
    ids = ["a/one", "b/two", "c/three"]
    _sync(store, *ids)
    chunks = {slo_id: _chunk(50 + 10 * i, seed=i) for i, slo_id in enumerate(ids[:2])}
    for slo_id, (ts, good, total) in chunks.items():
        store.write_sli_samples(slo_id, ts, good, total)

    got = store.read_sli_samples_many(["b/two", "c/three", "a/one", "never/synced"], T0, T0 + 40 * STEP)
    assert list(got) == ["b/two", "c/three", "a/one", "never/synced"]
    for slo_id, (ts, good, total) in chunks.items():
        inside = ts <= T0 + 40 * STEP
        np.testing.assert_array_equal(got[slo_id][0], ts[inside])
        np.testing.assert_array_equal(got[slo_id][1], good[inside])
        np.testing.assert_array_equal(got[slo_id][2], total[inside])
    for empty in ("c/three", "never/synced"):
        assert [a.size for a in got[empty]] == [0, 0, 0]


def test_latest_sample_over_all_slos(store):
    _sync(store, "a/one", "b/two")
    assert store.latest_sample_ts() is None
    store.write_sli_samples("a/one", *_chunk(5))
    store.write_sli_samples("b/two", *_chunk(3, first=10))
    assert store.latest_sample_ts() == T0 + 12 * STEP
    assert store.latest_sample_ts("a/one") == T0 + 5 * STEP
    assert store.latest_sample_ts("never/synced") is None


def test_a_large_chunk_keeps_every_count(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(50_000, seed=7)
    store.write_sli_samples("checkout/availability", ts, good, total)
    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", 0, 2**62)
    assert got_ts.size == 50_000
    assert (got_ts == ts).all()
    assert got_good.sum() == good.sum() and got_total.sum() == total.sum()


class _CrashBeforeWatermark(Store):
    """A store whose process 'dies' after the samples and before the watermark."""

    def _put_watermark(self, conn, key, ts):
        raise KeyboardInterrupt("simulated kill between samples and watermark")


def test_samples_and_watermark_land_together_or_not_at_all(store, store_url):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(20)
    store.write_sli_samples("checkout/availability", ts[:10], good[:10], total[:10], watermark=("q1", int(ts[9])))

    crashing = _CrashBeforeWatermark.open(store_url)
    try:
        changed = good.copy()
        changed[5:10] -= 1  # would overwrite five stored steps
        with pytest.raises(KeyboardInterrupt):
            crashing.write_sli_samples("checkout/availability", ts[5:], changed[5:], total[5:], watermark=("q1", int(ts[-1])))
    finally:
        crashing.close()

    got_ts, got_good, _ = store.read_sli_samples("checkout/availability", 0, 2**62)
    np.testing.assert_array_equal(got_ts, ts[:10])
    np.testing.assert_array_equal(got_good, good[:10])
    assert store.watermark("q1") == ts[9]


def test_series_round_trip_keys_and_watermark(store):
    ts = T0 + np.arange(1, 61, dtype=np.int64) * STEP
    p99 = np.linspace(0.1, 0.7, 60)
    usd = np.full(60, 0.25)
    assert store.write_series("golden", "checkout", "latency_p99", ts, p99, watermark=("golden/checkout", int(ts[-1]))) == 60
    store.write_series("cost", "payments-team", "usd", ts, usd)
    store.write_series("golden", "checkout", "latency_p99", ts[:30], p99[:30])  # idempotent

    got_ts, got_p99 = read_series(store, "golden", "checkout", "latency_p99", int(ts[29]), int(ts[-1]))
    np.testing.assert_array_equal(got_ts, ts[30:])
    np.testing.assert_array_equal(got_p99, p99[30:])
    assert read_series(store, "cost", "payments-team", "usd", 0, 2**62)[1].sum() == pytest.approx(15.0)
    assert store.series_keys("golden") == [("checkout", "latency_p99")]
    assert store.series_keys("cost") == [("payments-team", "usd")]
    assert store.watermark("golden/checkout") == ts[-1]
    missing_ts, missing_values = read_series(store, "golden", "checkout", "traffic", 0, 2**62)
    assert missing_ts.size == 0 and missing_values.size == 0


def test_read_series_many_splits_per_key(store):
    ts = T0 + np.arange(1, 11, dtype=np.int64) * STEP
    for i, name in enumerate(("latency_p50", "latency_p95", "latency_p99")):
        store.write_series("golden", "checkout", name, ts, np.full(10, float(i)))
    got = store.read_series_many("golden", [("checkout", "latency_p99"), ("checkout", "latency_p50")], 0, 2**62)
    assert got[("checkout", "latency_p99")][1].tolist() == [2.0] * 10
    assert got[("checkout", "latency_p50")][1].tolist() == [0.0] * 10


def test_retention_deletes_old_samples_only(store):
    _sync(store, "checkout/availability")
    ts, good, total = _chunk(10)
    store.write_sli_samples("checkout/availability", ts, good, total)
    store.write_series("golden", "checkout", "traffic", ts, total)
    assert store.delete_samples_before(int(ts[3])) == 8  # four steps in each table
    np.testing.assert_array_equal(store.read_sli_samples("checkout/availability", 0, 2**62)[0], ts[4:])
    np.testing.assert_array_equal(read_series(store, "golden", "checkout", "traffic", 0, 2**62)[0], ts[4:])


def test_samples_keep_their_slo_across_renamed_fields(store):
    """Changing an SLO's team or objective keeps its samples: rows are keyed by slo_id."""
    slo = make_slo(spec_hash="v1")
    store.sync_slos([slo])
    store.write_sli_samples(slo.id, *_chunk(5))
    store.sync_slos([dataclasses.replace(slo, team="other-team", objective=0.99, spec_hash="v2")])
    assert store.read_sli_samples(slo.id, 0, 2**62)[0].size == 5


def test_concurrent_writers_of_one_slo_both_land(store, open_store):
    import threading

    _sync(store, "checkout/availability")
    ts, good, total = _chunk(3_000, seed=3)
    writers = [open_store(busy_timeout_s=30), open_store(busy_timeout_s=30)]
    parts = [slice(0, 2_000), slice(1_000, 3_000)]  # overlapping steps carry equal counts
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(writer: Store, part: slice) -> None:
        try:
            barrier.wait()
            writer.write_sli_samples("checkout/availability", ts[part], good[part], total[part])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=pair) for pair in zip(writers, parts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got_ts, got_good, got_total = store.read_sli_samples("checkout/availability", 0, 2**62)
    np.testing.assert_array_equal(got_ts, ts)
    np.testing.assert_array_equal(got_good, good)
    np.testing.assert_array_equal(got_total, total)


def test_a_crashed_first_write_of_a_series_leaves_no_trace_and_the_next_one_works(store_url):
    crashing = _CrashBeforeWatermark.open(store_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            crashing.write_series("cost", "team-a", "usd", [T0 + 60], [1.5], watermark=("cost/team-a", T0 + 60))
        assert crashing.series_keys("cost") == []
        # The same store object writes the series again without the crash.
        crashing.write_series("cost", "team-a", "usd", [T0 + 60], [1.5])
        assert read_series(crashing, "cost", "team-a", "usd", 0, 2**62)[1].tolist() == [1.5]
        assert crashing.series_keys("cost") == [("team-a", "usd")]
    finally:
        crashing.close()
