"""Daily rollups: each day row is the sum of its day's hour rows whatever the writes
(out of order, re-written, history kept as sums only, pruned), the migration fills them
from the hourly rollups, and reads through the plan that use them give every window the
sums of its steps, on SQLite and PostgreSQL (``store_url``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloboard.reads.plan import plan_pieces, plan_reads, read_sli_rows, read_sli_sums
from sloboard.store import Retention, Store, models
from sloboard.store.migrate import alembic_config
from tests.factories import make_slo
from tests.piece_checks import split_hours_keep_their_steps

HOUR = 3600
DAY = 86_400
D0 = 1_800_000_000 - 1_800_000_000 % DAY  # a UTC midnight
TOLERANCE = 1e-12
RETENTION = Retention(raw_s=2 * DAY, golden_raw_s=DAY, rollup_s=400 * DAY)
_example = itertools.count()  # hypothesis examples share one store: each writes an SLO of its own


def _per_period(ts: np.ndarray, period: int, *values: np.ndarray):
    """Period ends (a step or hour ending at t belongs to the period ending at ceil(t / period) * period),
    the sums of each of ``values`` and the count of entries, computed here without the store."""
    ends = np.ceil(ts / period).astype(np.int64) * period
    unique = np.unique(ends)
    return unique, [np.array([v[ends == e].sum() for e in unique]) for v in values], np.array(
        [(ends == e).sum() for e in unique], np.int64)


def _daily_rows(store, slo_id: str):
    """``(ts, good, total, steps)`` of the SLO's day rows: a read of day spans only."""
    return store.read_sli_spans_many([slo_id], [], [], [(0, 2**40)])[1][slo_id]


def _assert_days_are_sums_of_hours(store, slo_id: str) -> None:
    h_ts, h_good, h_total, h_steps = store.read_sli_hourly_many([slo_id], 0, 2**40)[slo_id]
    days, (good, total, steps), _ = _per_period(h_ts, DAY, h_good, h_total, h_steps)
    d_ts, d_good, d_total, d_steps = _daily_rows(store, slo_id)
    np.testing.assert_array_equal(d_ts, days)
    np.testing.assert_array_equal(d_steps, steps)
    np.testing.assert_allclose(d_good, good, rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(d_total, total, rtol=TOLERANCE, atol=TOLERANCE)


def _counts(rng, ts: np.ndarray, version: int):
    total = rng.uniform(1, 500, ts.size) + version
    return total * rng.uniform(0.9, 1, ts.size), total


def test_plan_reads_a_30_day_window_as_day_rows_and_at_most_two_days_of_hours():
    at = D0 + 40 * DAY + 13 * HOUR + 1234
    plan = plan_reads([at - 30 * DAY, at - HOUR, at - 300], at, days=True)
    day_rows = sum((b - a) // DAY for a, b in plan.daily)
    hour_rows = sum((b - a) // HOUR for a, b in plan.hourly) - plan.raw_hours.size
    assert day_rows == 29 and hour_rows <= 48  # the cut first day and the partial last one are hours
    assert plan.daily == ((at - at % DAY - 29 * DAY, at - at % DAY),)
    # Without days, the same window is its 720 hours.
    hours = plan_reads([at - 30 * DAY, at - HOUR, at - 300], at, days=False)
    assert sum((b - a) // HOUR for a, b in hours.hourly) == 30 * 24 - 1 and hours.daily == ()


def test_a_cut_on_the_day_grid_keeps_whole_days_and_one_inside_a_day_reads_that_day_by_hours():
    at = D0 + 10 * DAY
    assert plan_reads([at - 3 * DAY], at, days=True).daily == ((at - 3 * DAY, at),)
    plan = plan_reads([at - 3 * DAY, at - DAY - 5 * HOUR], at, days=True)
    assert plan.daily == ((at - 3 * DAY, at - 2 * DAY), (at - DAY, at))
    assert plan.hourly == ((at - 2 * DAY, at - DAY),) and plan.raw == ()
    pieces = plan_pieces([at - 3 * DAY, at - DAY - 5 * HOUR], at)
    assert pieces.daily == ((at - 3 * DAY, at - 2 * DAY), (at - DAY, at))
    assert pieces.hourly == ((at - 2 * DAY, at - DAY - 5 * HOUR), (at - DAY - 5 * HOUR, at - DAY))


def test_day_rows_follow_out_of_order_writes_rewrites_history_and_the_prune(open_store):
    now = D0 + 6 * DAY + 7 * HOUR
    store = open_store(clock=lambda: now, retention=RETENTION)
    store.sync_slos([make_slo(spec_hash="h1")])
    slo_id = make_slo().id
    rng = np.random.default_rng(4)
    ts = D0 + np.arange(1, 6 * DAY // 300 + 1, dtype=np.int64) * 300  # six days of 5-minute steps
    good, total = _counts(rng, ts, 0)
    later, earlier = ts > D0 + 3 * DAY + 1234, ts <= D0 + 3 * DAY + 1234
    store.write_sli_samples(slo_id, ts[later], good[later], total[later])
    store.write_sli_samples(slo_id, ts[earlier], good[earlier], total[earlier])  # backfill, cut mid-day
    _assert_days_are_sums_of_hours(store, slo_id)
    d_ts, d_good, d_total, d_steps = _daily_rows(store, slo_id)
    days, (want_good, want_total), want_steps = _per_period(ts, DAY, good, total)
    np.testing.assert_array_equal(d_ts, days)
    np.testing.assert_array_equal(d_steps, want_steps)
    np.testing.assert_allclose(d_good, want_good, rtol=TOLERANCE)
    np.testing.assert_allclose(d_total, want_total, rtol=TOLERANCE)

    rewrite = (ts > D0 + DAY + 5 * HOUR) & (ts <= D0 + 4 * DAY)  # new counts across three day ends
    good[rewrite], total[rewrite] = _counts(rng, ts[rewrite], 1)
    store.write_sli_samples(slo_id, ts[rewrite], good[rewrite], total[rewrite])
    # History of the second day kept as hourly sums only, with a hole of five hours in it.
    history = (ts > D0 + DAY) & (ts <= D0 + 2 * DAY) & ~((ts > D0 + DAY + 3 * HOUR) & (ts <= D0 + DAY + 8 * HOUR))
    good[history], total[history] = _counts(rng, ts[history], 2)
    store.write_sli_samples(slo_id, ts[history], good[history], total[history], span=(D0 + DAY, D0 + 2 * DAY))
    kept = ~((ts > D0 + DAY) & (ts <= D0 + 2 * DAY)) | history
    d_ts, d_good, d_total, d_steps = _daily_rows(store, slo_id)
    days, (want_good, want_total), want_steps = _per_period(ts[kept], DAY, good[kept], total[kept])
    np.testing.assert_array_equal(d_steps, want_steps)
    assert want_steps[1] == DAY // 300 - 5 * 12  # the second day without its hole
    np.testing.assert_allclose(d_good, want_good, rtol=TOLERANCE)
    np.testing.assert_allclose(d_total, want_total, rtol=TOLERANCE)
    _assert_days_are_sums_of_hours(store, slo_id)

    # The prune of rollups takes the whole first day and the first 13 hours of the second.
    store.delete_samples_before(now - 2 * DAY, rollup_cutoff=D0 + DAY + 13 * HOUR)
    _assert_days_are_sums_of_hours(store, slo_id)
    d_ts, _good, _total, d_steps = _daily_rows(store, slo_id)
    assert d_ts[0] == D0 + 2 * DAY and d_steps[0] == 11 * 12  # 11 hours of the second day remain
    # Back to a day boundary: the day that held the cutoff goes too.
    store.delete_samples_before(now - 2 * DAY, rollup_cutoff=D0 + 2 * DAY)
    assert _daily_rows(store, slo_id)[0][0] == D0 + 3 * DAY
    _assert_days_are_sums_of_hours(store, slo_id)


def test_a_write_after_history_kept_as_sums_keeps_the_other_hours_of_its_day(open_store):
    """No steps are stored before the write (history is sums only), yet its day holds hours:
    the day row is rebuilt from them, not summed from the written steps alone."""
    store = open_store(clock=lambda: D0 + 5 * DAY, retention=RETENTION)
    store.sync_slos([make_slo(spec_hash="h1")])
    slo_id = make_slo().id
    ts = D0 + np.arange(1, 2 * 12 + 1, dtype=np.int64) * 300  # two hours of history
    store.write_sli_samples(slo_id, ts, np.full(ts.size, 1.0), np.full(ts.size, 2.0), span=(D0, D0 + 2 * HOUR))
    store.write_sli_samples(slo_id, ts[:1], [5.0], [6.0])  # one step of the first hour again
    _assert_days_are_sums_of_hours(store, slo_id)
    assert _daily_rows(store, slo_id)[3].tolist() == [1 + 12]  # the first hour rebuilt from its step, the second kept


def test_runs_of_one_day_pieces_are_read_as_their_day_rows_with_the_sums_of_each_piece(store):
    """Adjacent pieces of one day each (a daily trend) are read in one scan of the day rows
    (``samples.read_sums``' ``row_s``): each row is its piece, numbered as asked, and the
    sums are those of the steps, as where each piece is summed on its own."""
    ts = D0 + np.arange(1, 6 * DAY // 600 + 1, dtype=np.int64) * 600
    ts = ts[(ts <= D0 + 2 * DAY) | (ts > D0 + 3 * DAY)]  # the third day holds no step
    usd = np.linspace(0.01, 2.0, ts.size)
    store.write_series("cost", "team-a", "usd", ts, usd)
    pieces = [(D0, D0 + DAY), (D0 + DAY, D0 + 2 * DAY), (D0 + 2 * DAY, D0 + 3 * DAY), (D0 + 3 * DAY, D0 + 5 * DAY),
              (D0 + 5 * DAY, D0 + 6 * DAY)]
    got = store.read_series_sums_many("cost", [("team-a", "usd")], [], [], pieces)
    assert got.piece.tolist() == [0, 1, 3, 4]  # the empty day gives no row
    for piece, last, value, steps in zip(got.piece, got.last, got.values[0], got.steps):
        a, b = pieces[piece]
        inside = (ts > a) & (ts <= b)
        assert (last, steps) == (b, inside.sum())
        assert value == pytest.approx(usd[inside].sum(), rel=TOLERANCE)
    # Hour pieces off the hour grid (a newest-step lookup's hour before an instant) hold one row each too.
    hours = [(D0 + k * HOUR + 1234, D0 + (k + 1) * HOUR + 1234) for k in range(3)]
    got = store.read_series_sums_many("cost", [("team-a", "usd")], [], hours)
    assert got.piece.tolist() == [0, 1, 2] and got.last.tolist() == [D0 + (k + 1) * HOUR for k in range(3)]


def test_series_keep_day_rows_too(store):
    ts = D0 + np.arange(1, 3 * DAY // 600 + 1, dtype=np.int64) * 600
    usd = np.linspace(0.01, 2.0, ts.size)
    store.write_series("cost", "team-a", "usd", ts, usd)
    pieces = ((D0, D0 + DAY), (D0 + DAY, D0 + 3 * DAY))
    first, last, sums, steps = store.read_series_sums_many("cost", [("team-a", "usd")], [], [], pieces).by_name()[("team-a", "usd")]
    assert last.tolist() == [D0 + DAY, D0 + 3 * DAY] and steps.tolist() == [144, 288]
    assert sums == pytest.approx([usd[:144].sum(), usd[144:].sum()], rel=TOLERANCE)


def test_upgrading_fills_day_rows_from_the_hourly_rollups(store_url):
    """0008 sums the hourly rows, which also hold history whose steps the retention removed."""
    Store.open(store_url, upgrade=False).close()  # creates the SQLite file's directory
    engine = sa.create_engine(store_url)
    hours = D0 + np.arange(1, 50, dtype=np.int64) * HOUR  # two days and an hour
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0007")
            conn.execute(sa.insert(models.slos).values(
                id=1, slo_id="checkout/availability", service="checkout", name="availability", team="",
                objective=0.999, window="28d", format="", spec_path="", spec_hash="h", version=1, active=True,
                created_at=0.0, updated_at=0.0,
            ))
            conn.execute(sa.insert(models.sli_hourly), [
                {"slo_pk": 1, "ts": int(h), "good": 0.5 * i, "total": 60.0 + i, "steps": 60 - i % 3}
                for i, h in enumerate(hours)
            ])
            conn.execute(sa.insert(models.series).values(id=1, kind="cost", scope="team-a", name="usd"))
            conn.execute(sa.insert(models.series_hourly), [
                {"series_id": 1, "ts": int(h), "value": 0.25 * i, "steps": 12} for i, h in enumerate(hours)])
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        i = np.arange(hours.size)
        d_ts, d_good, d_total, d_steps = _daily_rows(store, "checkout/availability")
        assert d_ts.tolist() == [D0 + DAY, D0 + 2 * DAY, D0 + 3 * DAY]
        by_day = [i < 24, (i >= 24) & (i < 48), i >= 48]
        assert d_good.tolist() == [float((0.5 * i[d]).sum()) for d in by_day]
        assert d_total.tolist() == [float((60.0 + i[d]).sum()) for d in by_day]
        assert d_steps.tolist() == [int((60 - i[d] % 3).sum()) for d in by_day]
        sums = store.read_series_sums_many("cost", [("team-a", "usd")], [], [], [(D0, D0 + 3 * DAY)]).by_name()
        assert sums[("team-a", "usd")][2].tolist() == [float((0.25 * i).sum())]
        assert sums[("team-a", "usd")][3].tolist() == [12 * hours.size]
    finally:
        store.close()


# --- the proof: any writes, then any windows -------------------------------------------------

SPAN_DAYS = 6
STEP_S = 300


@st.composite
def _operations(draw):
    """Writes of (re-)collected steps in any order, history kept as sums only, and prunes."""
    ops = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["write", "write", "history", "prune"]))
        if kind == "prune":
            # The step prune, and maybe the rollups' (a cutoff anywhere, on or off the day grid).
            rollup = draw(st.none() | st.integers(D0, D0 + 3 * DAY))
            ops.append(("prune", draw(st.integers(D0, D0 + 4 * DAY)), rollup))
        else:
            a = draw(st.integers(D0, D0 + SPAN_DAYS * DAY - HOUR))
            b = draw(st.integers(a + 1, min(a + 3 * DAY, D0 + SPAN_DAYS * DAY)))
            if kind == "history":  # whole hours before the step horizon
                a, b = a - a % HOUR, min(b - b % HOUR, D0 + 3 * DAY)
                if b <= a:
                    continue
            ops.append((kind, a, b))
    return ops


_stores: dict = {}


def _retaining_store(open_store):
    """One store per backend for all examples, its clock where history writes end: D0 + 3 days."""
    if open_store not in _stores:
        _stores.clear()
        _stores[open_store] = open_store(clock=lambda: D0 + 5 * DAY, retention=RETENTION)
    return _stores[open_store]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_operations(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_sums_through_day_rows_equal_the_sums_of_the_steps_after_any_writes(open_store, ops, seed, data):
    """After any writes, the day rows are the sums of the hour rows; every window read
    through day rows (sums and rows) equals the same window read through hour rows and raw
    steps only (the hourly plan), step counts exactly; and, after writes of steps only
    (no history kept as sums, no prune), the sums of the steps written (a write upserts
    its steps)."""
    n = next(_example)
    store = _retaining_store(open_store)
    slo_id = f"days{n}/slo"
    store.sync_slos([make_slo(id=slo_id, service=f"days{n}", name="slo", spec_hash=str(n))])
    rng = np.random.default_rng(seed)
    truth: dict[int, tuple[float, float]] = {}
    # Whether ``truth`` is what a read of steps finds: sums-only hours (history) and pruned
    # ones count nothing where a window starts inside them, as documented, so not then.
    known = True
    for version, (kind, a, b) in enumerate(ops):
        if kind == "prune":
            store.delete_samples_before(a, rollup_cutoff=b)
            known = False
            continue
        ts = np.arange(a - a % STEP_S + STEP_S, b + 1, STEP_S, dtype=np.int64)
        ts = ts[rng.random(ts.size) > 0.15]  # steps without data
        good, total = _counts(rng, ts, version)
        store.write_sli_samples(slo_id, ts, good, total, span=(a, b) if kind == "history" else None)
        known &= kind != "history"
        truth.update(zip(ts.tolist(), zip(good.tolist(), total.tolist())))

    _assert_days_are_sums_of_hours(store, slo_id)
    at = data.draw(st.integers(D0 + DAY, D0 + SPAN_DAYS * DAY + HOUR), label="at")
    cuts = data.draw(st.lists(st.integers(D0, at - 1), min_size=1, max_size=6), label="cuts")
    sums = read_sli_sums(store, [slo_id], cuts, at)[slo_id]
    day_rows = read_sli_rows(store, [slo_id], cuts, at, days=True)[slo_id]
    hour_rows = read_sli_rows(store, [slo_id], cuts, at, days=False)[slo_id]
    t_ts = np.array(sorted(truth), np.int64)
    t_good, t_total = (np.array([truth[t][i] for t in t_ts.tolist()]) for i in (0, 1))
    # The sums read derives a piece of each hour it splits from the hour's rollup row, so it
    # equals a read of steps where those hours keep their steps (tests.piece_checks).
    compared = [sums, day_rows] if split_hours_keep_their_steps(store, slo_id, cuts, at) else [day_rows]
    for cut in cuts:
        windows = [tuple(column[row_ts > cut].sum() for column in (good, total, steps))
                   for row_ts, good, total, steps in (*compared, hour_rows)]
        *others, (h_good, h_total, h_steps) = windows
        for got_good, got_total, got_steps in others:
            assert got_steps == h_steps, cut
            assert got_good == pytest.approx(h_good, rel=TOLERANCE, abs=TOLERANCE)
            assert got_total == pytest.approx(h_total, rel=TOLERANCE, abs=TOLERANCE)
        s_good, s_total, s_steps = (column[sums[0] > cut].sum() for column in sums[1:])
        if known:
            inside = (t_ts > cut) & (t_ts <= at)
            assert s_steps == inside.sum()
            assert s_good == pytest.approx(t_good[inside].sum(), rel=TOLERANCE, abs=TOLERANCE)
            assert s_total == pytest.approx(t_total[inside].sum(), rel=TOLERANCE, abs=TOLERANCE)
