"""Hybrid reads equal raw reads: hourly rollups for whole hours and raw steps at the edges
give the same sums, SLIs, budgets and completeness as the raw steps alone (1e-12), on a
real store (SQLite, and PostgreSQL through the ``store`` fixture)."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloboard.domain import AlertWindow, BudgetingMethod, Severity, Window
from sloboard.engine import window_bounds
from sloboard.engine.cost import CostBudgets, month_bounds
from sloboard.reads.cost import cost_entries, cost_trends
from sloboard.reads.plan import plan_pieces, plan_reads, read_sli_rows, read_sli_sums
from sloboard.reads.status import lookback_start, read_slo_rows, slo_status, status_report
from tests.factories import make_slo, read_options
from tests.piece_checks import split_hours_keep_their_steps

HOUR = 3600
DAY = 86400
H0 = 1_800_000_000 - 1_800_000_000 % HOUR  # an hour boundary
SLO_ID = "checkout/availability"
TOLERANCE = 1e-12
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_example = itertools.count()  # examples share one store: each writes keys (or times) of its own


def test_span_reads_return_raw_steps_of_every_span_and_the_hourly_rows_in_one_read(store):
    store.sync_slos([make_slo(spec_hash="h1"), make_slo(id="search/latency", service="search", spec_hash="h2")])
    ts = H0 + np.arange(1, 6 * 60 + 1, dtype=np.int64) * 60  # six hours of 1-minute steps
    good, total = np.arange(ts.size, dtype=float), np.full(ts.size, 1000.0)
    store.write_sli_samples(SLO_ID, ts, good, total)
    store.write_sli_samples("search/latency", ts[:30], good[:30], total[:30])

    raw, hourly = store.read_sli_spans_many(
        [SLO_ID, "search/latency", "never/synced"], [(H0, H0 + 600), (H0 + 5 * HOUR, H0 + 5 * HOUR + 120)],
        [(H0 + HOUR, H0 + 4 * HOUR)],
    )
    r_ts, r_good, r_total = raw[SLO_ID]
    assert r_ts.tolist() == [H0 + 60 * i for i in range(1, 11)] + [H0 + 5 * HOUR + 60, H0 + 5 * HOUR + 120]
    np.testing.assert_array_equal(r_good, good[np.isin(ts, r_ts)])
    np.testing.assert_array_equal(r_total, 1000.0)
    h_ts, h_good, h_total, h_steps = hourly[SLO_ID]
    assert h_ts.tolist() == [H0 + 2 * HOUR, H0 + 3 * HOUR, H0 + 4 * HOUR]
    assert h_good.tolist() == [good[60 * k:60 * (k + 1)].sum() for k in (1, 2, 3)]
    assert h_total.tolist() == [60_000.0] * 3 and h_steps.tolist() == [60, 60, 60]
    assert raw["search/latency"][0].tolist() == ts[:10].tolist()
    assert [a.size for a in hourly["search/latency"]] == [0, 0, 0, 0]
    assert [a.size for a in raw["never/synced"]] + [a.size for a in hourly["never/synced"]] == [0] * 7


def test_series_span_reads_match_the_raw_steps(store):
    ts = H0 + np.arange(1, 3 * 60 + 1, dtype=np.int64) * 60
    usd = np.linspace(0.5, 2.0, ts.size)
    store.write_series("cost", "service:checkout", "opencost", ts, usd)
    raw, hourly = store.read_series_spans_many(
        "cost", [("service:checkout", "opencost"), ("service:none", "opencost")], [(H0 + 2 * HOUR, H0 + 3 * HOUR)],
        (H0, H0 + 2 * HOUR),
    )
    r_ts, r_usd = raw[("service:checkout", "opencost")]
    np.testing.assert_array_equal(r_ts, ts[120:])
    np.testing.assert_array_equal(r_usd, usd[120:])
    h_ts, h_sum, h_steps = hourly[("service:checkout", "opencost")]
    assert h_ts.tolist() == [H0 + HOUR, H0 + 2 * HOUR] and h_steps.tolist() == [60, 60]
    assert h_sum == pytest.approx([usd[:60].sum(), usd[60:120].sum()], rel=1e-12)
    assert [a.size for a in raw[("service:none", "opencost")]] == [0, 0]


@pytest.mark.parametrize("spans", [[(10, 5)], [(0, 10), (5, 20)], [(10, 20), (0, 5)]],
                         ids=["empty span", "overlapping spans", "descending spans"])
def test_span_reads_refuse_spans_that_are_not_disjoint_and_ascending(store, spans):
    with pytest.raises(ValueError, match="disjoint and ascending"):
        store.read_sli_spans_many([SLO_ID], spans, [(0, 10)])


# --- the plan ---------------------------------------------------------------------------


def test_plan_on_the_hour_reads_only_the_last_hour_raw():
    at = H0 + 40 * DAY
    cuts = [at - 28 * DAY, at - 3 * DAY, at - 6 * HOUR, at - HOUR, at - 1800, at - 300]
    plan = plan_reads(cuts, at, days=False)
    assert plan.raw == ((at - HOUR, at),)  # 30m and 5m start inside the last hour
    assert plan.hourly == ((at - 28 * DAY, at),) and plan.daily == ()
    assert plan.raw_hours.tolist() == [at]


def test_plan_off_the_hour_reads_raw_the_hours_that_windows_start_in_and_the_partial_last_hour():
    at = H0 + 40 * DAY + 1234
    cuts = [at - 28 * DAY, at - 3 * DAY, at - 6 * HOUR, at - HOUR, at - 300]
    plan = plan_reads(cuts, at, days=False)
    floor = at - 1234
    assert plan.raw == (
        (at - 28 * DAY, floor - 28 * DAY + HOUR),  # from the earliest cut to its hour's end
        (floor - 3 * DAY, floor - 3 * DAY + HOUR),
        (floor - 6 * HOUR, floor - 5 * HOUR),
        (floor - HOUR, at),  # the hour holding at - 1h, then the partial hour up to at
    )
    assert plan.hourly == ((floor - 28 * DAY + HOUR, floor),)


# --- SLIs: hybrid rows against raw steps, on a real store ---------------------------------


def _close(got, want, path="") -> None:
    """Equal structures; numbers within TOLERANCE, relative to their size above 1."""
    if isinstance(want, dict):
        assert got.keys() == want.keys(), path
        for key in want:
            _close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, float) and abs(got - want) <= TOLERANCE * max(1.0, abs(want)), (path, got, want)
    else:
        assert got == want, (path, got, want)


@st.composite
def slo_cases(draw, step_s: int, span_s: int):
    """An SLO with a random window (rolling, or a calendar week in a zone off the hour grid),
    random alert windows and a random budgeting method, fitting in ``span_s``."""
    n = next(_example)
    alerts = []
    for _ in range(draw(st.integers(0, 3))):
        long = draw(st.integers(2, span_s // 4 // 60)) * 60
        short = draw(st.integers(1, long // 60 - 1)) * 60
        alerts.append(AlertWindow(Severity.PAGE, timedelta(seconds=long), timedelta(seconds=short), 2.0))
    if draw(st.booleans()) and span_s >= 8 * DAY:
        window = Window(timedelta(days=7), "week", draw(st.sampled_from(["Asia/Kolkata", "Europe/Berlin", "UTC"])))
    else:
        window = Window(timedelta(seconds=draw(st.integers(1, span_s // 2 // 60)) * 60))
    method = draw(st.sampled_from(BudgetingMethod))
    # Whole hours (rollup rows serve them) or not (raw steps), including the default: one step.
    slice_s = draw(st.sampled_from([None, HOUR, 2 * HOUR, 5400, 300]))
    return make_slo(
        id=f"svc{n}/slo{n}", service=f"svc{n}", name=f"slo{n}", spec_hash=str(n), window=window,
        objective=draw(st.sampled_from([0.9, 0.99, 0.999])), alert_windows=tuple(alerts), budgeting=method,
        timeslice_window=None if slice_s is None else timedelta(seconds=slice_s), timeslice_target=0.95,
    )


def _steps(rng, first: int, last: int, step_s: int, integer_counts: bool):
    """Steps ending in (first, last] with random counts, and random single and long holes dropped."""
    ts = np.arange(first - first % step_s + step_s, last + 1, step_s, dtype=np.int64)
    total = rng.integers(0, 400, ts.size).astype(float) if integer_counts else rng.uniform(0, 400, ts.size)
    good = np.floor(total * rng.uniform(0.8, 1, ts.size)) if integer_counts else total * rng.uniform(0.8, 1, ts.size)
    keep = rng.random(ts.size) > rng.uniform(0, 0.3)
    for _ in range(rng.integers(0, 4)):  # outages of the collector: up to 3 hours without a step
        hole = rng.integers(0, ts.size)
        keep[hole:hole + rng.integers(1, 3 * HOUR // step_s)] = False
    return ts[keep], good[keep], total[keep]


@PROPERTY
@given(data=st.data(), step_s=st.sampled_from([60, 420, 900]), off_hour=st.integers(0, HOUR - 1),
       seed=st.integers(0, 2**32 - 1), integer_counts=st.booleans())
def test_status_from_rollups_and_raw_edges_equals_the_status_from_raw_steps(
    store, data, step_s, off_hour, seed, integer_counts
):
    span = min(12 * DAY, 5000 * step_s)
    slos = [data.draw(slo_cases(step_s, span)) for _ in range(2)]
    at = H0 + 20 * DAY + data.draw(st.integers(0, 10 * DAY // HOUR)) * HOUR + off_hour
    store.sync_slos(slos)
    rng = np.random.default_rng(seed)
    written = {}
    for slo in slos:  # steps from before the earliest window to after ``at``, which must not count
        written[slo.id] = _steps(rng, lookback_start(slo, at) - 2 * HOUR, at + 2 * HOUR, step_s, integer_counts)
        store.write_sli_samples(slo.id, *written[slo.id])

    report = status_report(store, slos, at, **read_options(step_s)).to_dict()
    rows = read_slo_rows(store, slos, at, step_s)
    for got, slo in zip(report["slos"], sorted(slos, key=lambda s: s.id)):
        raw = store.read_sli_samples(slo.id, lookback_start(slo, at), at)
        _close(got, slo_status(slo, (*raw, None), at, step_s).to_dict(), slo.id)
        # And against sums of the written steps, computed here without the store.
        ts, good, total = written[slo.id]
        start, _ = window_bounds(slo.window, at)
        inside = (ts > start) & (ts <= at)
        if slo.budgeting is BudgetingMethod.OCCURRENCES and total[inside].sum() > 0:
            assert got["sli"] == pytest.approx(good[inside].sum() / total[inside].sum(), abs=TOLERANCE)
        if inside.any():
            assert got["total"] == pytest.approx(total[inside].sum(), rel=TOLERANCE)
            expected_steps = (at - start) // step_s  # no data when the window is shorter than a step
            assert got["data_completeness"] == (
                None if expected_steps == 0 else pytest.approx(min(1.0, inside.sum() / expected_steps), abs=TOLERANCE)
            )
        row_ts, *_values, step_counts = rows[slo.id]
        if step_counts is not None:  # the rows since the lookback stand for its stored steps, each once
            lookback = lookback_start(slo, at)
            assert step_counts[row_ts > lookback].sum() == ((ts > lookback) & (ts <= at)).sum()


def test_status_sums_whole_hours_from_the_rollup_even_after_retention_removed_their_steps(store):
    slo = make_slo(window=Window(timedelta(days=2)), spec_hash="h1")
    store.sync_slos([slo])
    at = H0 + 10 * DAY
    ts = np.arange(at - 3 * DAY + 60, at + 1, 60, dtype=np.int64)
    total = np.full(ts.size, 100.0)
    good = total - (ts % 7 == 0)  # a bad event now and then
    store.write_sli_samples(SLO_ID, ts, good, total)
    store.delete_samples_before(at - DAY)  # retention keeps the last day of steps

    got = status_report(store, [slo], at, **read_options()).to_dict()["slos"][0]
    inside = ts > at - 2 * DAY
    assert got["total"] == total[inside].sum() and got["good"] == good[inside].sum()
    assert got["data_completeness"] == 1.0
    assert store.read_sli_samples(SLO_ID, at - 2 * DAY, at)[0].size == DAY // 60  # the raw steps are gone
    row_ts, _good, _total, step_counts = read_slo_rows(store, [slo], at, 60)[SLO_ID]
    assert row_ts.size <= 3 * 24 + 60 and step_counts.sum() == 3 * DAY // 60  # lookback: window and 3d alert


# --- cost: hybrid rows against raw steps ----------------------------------------------------


def _cost_steps(rng, first: int, last: int, step_s: int, phase: int):
    ts = np.arange(first - first % step_s + phase, last + 1, step_s, dtype=np.int64)
    ts = ts[ts > first]
    usd = rng.uniform(0, 3, ts.size)
    keep = rng.random(ts.size) > 0.1
    for _ in range(rng.integers(0, 3)):
        hole = rng.integers(0, ts.size)
        keep[hole:hole + rng.integers(1, DAY // step_s)] = False
    return ts[keep], usd[keep]


def _spend(parts, start: int, end: int):
    """Spend in (start, end] over the written steps of several series, and the newest step's time."""
    inside = [(ts[(ts > start) & (ts <= end)], usd[(ts > start) & (ts <= end)]) for ts, usd in parts]
    times = np.concatenate([t for t, _ in inside])
    return (float(np.concatenate([u for _, u in inside]).sum()) if times.size else None,
            int(times.max()) if times.size else None)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), hours=st.integers(0, 24 * 40), off_hour=st.integers(0, HOUR - 1),
       step_s=st.sampled_from([300, 600, HOUR]), phase=st.integers(0, 299), stale_s=st.integers(0, 3 * DAY),
       zone=st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York"]))
def test_cost_from_rollups_and_raw_edges_equals_the_cost_of_the_raw_steps(
    store, seed, hours, off_hour, step_s, phase, stale_s, zone
):
    n = next(_example)
    # Examples share the store's cost series: 200 days apart, earlier ones fall outside every window.
    at = H0 + n * 200 * DAY + 40 * DAY + hours * HOUR + off_hour
    rng = np.random.default_rng(seed)
    written = {}
    for key in [(f"service:a{n}", "opencost"), (f"service:b{n}", "opencost"), (f"team:t{n}", "bill")]:
        # Steps until 2 h after ``at`` (which must not count), or up to 3 days short of it (stale data).
        written[key] = _cost_steps(rng, at - 70 * DAY, at + 2 * HOUR - stale_s, step_s, phase % step_s)
        store.write_series("cost", *key, *written[key])
    scopes = {
        f"service:a{n}": [written[(f"service:a{n}", "opencost")]],
        f"service:b{n}": [written[(f"service:b{n}", "opencost")]],
        f"team:t{n}": [written[(f"team:t{n}", "bill")], written[(f"service:a{n}", "opencost")]],
        "total": list(written.values()),
    }

    budgets = CostBudgets({f"service:a{n}": 500.0}, warn_at=0.8, overrun_at=1.25)
    entries = cost_entries(store, at, timezone_name=zone, budgets=budgets, team_of={f"a{n}": f"t{n}"})
    # The dashboard's trends, each scope's series summed by the database, agree with the entries.
    for scope in scopes:
        for days, trend in cost_trends(store, at, scope, {f"a{n}": f"t{n}"}).items():
            entry = next(e for e in entries if e.scope == scope and e.window == f"{days}d")
            assert trend.value == (None if entry.usd is None else pytest.approx(entry.usd, rel=TOLERANCE, abs=TOLERANCE))
    month_start, month_end = month_bounds(at, zone)
    starts = {"1d": at - DAY, "7d": at - 7 * DAY, "30d": at - 30 * DAY, "month": month_start}
    checked = 0
    for entry in (e.to_dict() for e in entries):
        if entry["scope"] not in scopes:
            continue
        usd, newest = _spend(scopes[entry["scope"]], starts[entry["window"]], at)
        assert (entry["usd"] is None) == (usd is None)
        if usd is not None:
            assert entry["usd"] == pytest.approx(usd, rel=TOLERANCE, abs=TOLERANCE)
        if entry["window"] == "month":
            forecast = None if usd is None else usd * (month_end - month_start) / (newest - month_start)
            assert (entry["forecast_usd"] is None) == (forecast is None)
            if forecast is not None:
                assert entry["forecast_usd"] == pytest.approx(forecast, rel=TOLERANCE, abs=TOLERANCE)
            if entry["scope"] == f"service:a{n}" and usd is not None:
                assert entry["budget_warning"] == (usd >= 400.0)
        checked += 1
    assert checked == 4 * len(scopes)


# --- sums read: the database adds each piece up -----------------------------------------------


def test_pieces_cut_the_read_at_every_cut_and_raw_span_edge():
    at = H0 + 40 * DAY + 1234
    floor = at - 1234
    cuts = [at - 3 * DAY, at - 6 * HOUR, at - 300, floor - DAY]  # the last one on the hour
    pieces = plan_pieces(cuts, at)
    # Each hour a window starts or ``at`` falls inside is cut there; its longest part is not
    # read step by step: the hour's rollup row less its other parts, or, after ``at``, nothing.
    assert pieces.raw == ((floor - 3 * DAY, at - 3 * DAY), (floor - 6 * HOUR, at - 6 * HOUR),
                          (floor, at - 300), (at - 300, at))
    assert pieces.derived == ((at - 3 * DAY, floor - 3 * DAY + HOUR, floor - 3 * DAY + HOUR),
                              (at - 6 * HOUR, floor - 5 * HOUR, floor - 5 * HOUR))
    assert pieces.helper(pieces.raw[0]) and not any(map(pieces.helper, pieces.raw[1:]))
    midnight = at - at % DAY
    # The day between the 3-day cut's day and the 1-day cut's day is whole: one day row.
    assert pieces.daily == ((midnight - 2 * DAY, midnight - DAY),)
    assert pieces.hourly == ((floor - 3 * DAY + HOUR, midnight - 2 * DAY), (midnight - DAY, floor - DAY),
                             (floor - DAY, floor - 6 * HOUR), (floor - 5 * HOUR, floor))
    assert plan_pieces([at], at) == plan_pieces([], at) == type(pieces)(at, at, (), ())


def test_an_hour_split_near_its_end_reads_the_steps_after_the_cut_and_derives_the_rest():
    at = H0 + 40 * DAY + 3000  # 50 minutes into the hour
    floor = at - 3000
    pieces = plan_pieces([at - DAY], at)
    # The window's first hour: 10 minutes of steps after the cut; the 50 before it (which
    # no window holds) not read. The last hour: 10 minutes after ``at`` read, the 50 up
    # to ``at`` derived from the hour's row.
    assert pieces.raw == ((at - DAY, floor - DAY + HOUR), (at, floor + HOUR))
    assert pieces.derived == ((floor, at, floor + HOUR),)
    assert pieces.helper(pieces.raw[1]) and not pieces.helper(pieces.raw[0])


def test_piece_sums_are_the_sums_of_the_stored_steps_of_each_piece(store):
    store.sync_slos([make_slo(spec_hash="h1"), make_slo(id="search/latency", service="search", spec_hash="h2")])
    ts = H0 + np.arange(1, 6 * 60 + 1, dtype=np.int64) * 60  # six hours of 1-minute steps
    ts = ts[ts % 420 != 0]  # with holes
    good, total = np.arange(ts.size, dtype=float) * 0.37, np.full(ts.size, 1000.0)
    store.write_sli_samples(SLO_ID, ts, good, total)
    raw_pieces, hourly_pieces = [(H0 + 600, H0 + HOUR), (H0 + 5 * HOUR, H0 + 5 * HOUR + 7)], [(H0 + HOUR, H0 + 4 * HOUR)]

    got = store.read_sli_sums_many([SLO_ID, "search/latency", "never/synced"], raw_pieces, hourly_pieces)
    sums = got.by_name()

    first, last, s_good, s_total, steps = sums[SLO_ID]
    assert got.piece.tolist() == [0, 2]  # which piece each row sums (raw, raw, hourly): the 7 s piece holds no step
    expected = []
    for a, b in [raw_pieces[0], hourly_pieces[0], raw_pieces[1]]:  # in time order
        inside = (ts > a) & (ts <= b)
        if inside.any():
            expected.append((ts[inside][0], ts[inside][-1], good[inside].sum(), inside.sum()))
    assert last.tolist() == [e[1] for e in expected[:1]] + [H0 + 4 * HOUR] + [e[1] for e in expected[2:]]
    assert first.tolist()[0] == expected[0][0] and first.tolist()[1] == H0 + 2 * HOUR  # the first rollup row's hour end
    np.testing.assert_allclose(s_good, [e[2] for e in expected], rtol=1e-12)
    np.testing.assert_array_equal(s_total, 1000.0 * np.array([e[3] for e in expected]))
    assert steps.tolist() == [e[3] for e in expected]
    assert [a.size for a in sums["search/latency"]] == [a.size for a in sums["never/synced"]] == [0] * 5


@PROPERTY
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), off_hour=st.integers(0, HOUR - 1),
       step_s=st.sampled_from([60, 420, 900]))
def test_window_sums_from_piece_sums_equal_the_sums_of_the_raw_steps(store, data, seed, off_hour, step_s):
    n = next(_example)
    slo_id = f"sums{n}/slo"
    store.sync_slos([make_slo(id=slo_id, service=f"sums{n}", name="slo", spec_hash=str(n))])
    at = H0 + 20 * DAY + data.draw(st.integers(0, 5 * DAY // HOUR)) * HOUR + off_hour
    cuts = data.draw(st.lists(st.integers(at - 10 * DAY, at), min_size=1, max_size=8))
    rng = np.random.default_rng(seed)
    ts, good, total = _steps(rng, at - 11 * DAY, at + 2 * HOUR, step_s, integer_counts=False)
    store.write_sli_samples(slo_id, ts, good, total)
    if data.draw(st.booleans()):  # retention took the older steps; their hours' rollups stay
        store.delete_samples_before(at - data.draw(st.integers(0, 10 * DAY)))

    row_ts, row_good, row_total, row_steps = read_sli_sums(store, [slo_id], cuts, at)[slo_id]
    hybrid_ts, hybrid_good, hybrid_total, hybrid_steps = read_sli_rows(store, [slo_id], cuts, at)[slo_id]

    assert np.all(np.diff(row_ts) > 0) and row_ts.size <= 5 * len(cuts)  # raw, hours, days, hours, raw
    intact = split_hours_keep_their_steps(store, slo_id, cuts, at)
    for cut in cuts:  # every window (cut, at]: the same sums as the hybrid rows, which equal the steps'
        mine, hybrid = row_ts > cut, hybrid_ts > cut
        inside = (ts > cut) & (ts <= at)
        if intact:
            assert row_steps[mine].sum() == hybrid_steps[hybrid].sum()
            assert row_good[mine].sum() == pytest.approx(hybrid_good[hybrid].sum(), rel=TOLERANCE, abs=TOLERANCE)
            assert row_total[mine].sum() == pytest.approx(hybrid_total[hybrid].sum(), rel=TOLERANCE, abs=TOLERANCE)
        else:  # a split hour without its steps: the hybrid rows count none of it, the pieces its rollup row
            near = (ts > cut - cut % HOUR) & (ts <= at)  # the steps of the window's hours
            assert hybrid_steps[hybrid].sum() <= row_steps[mine].sum() <= near.sum()
            assert hybrid_total[hybrid].sum() * (1 - TOLERANCE) <= row_total[mine].sum()
            assert row_total[mine].sum() <= total[near].sum() * (1 + TOLERANCE)
        if intact and row_steps[mine].sum() == inside.sum():  # nothing of it was pruned: the written steps' sums
            assert row_total[mine].sum() == pytest.approx(total[inside].sum(), rel=TOLERANCE, abs=TOLERANCE)
            assert row_good[mine].sum() == pytest.approx(good[inside].sum(), rel=TOLERANCE, abs=TOLERANCE)


def test_piece_sums_of_more_pieces_than_one_sqlite_query_may_join(store):
    store.sync_slos([make_slo(spec_hash="h1")])
    ts = H0 + np.arange(1, 1200 + 1, dtype=np.int64) * 60
    good = np.arange(ts.size, dtype=float)
    store.write_sli_samples(SLO_ID, ts, good, good + 1)
    pieces = [(int(a), int(a) + 60) for a in ts[:-1:2] - 60]  # 600 pieces of one step each, every other step

    _first, last, s_good, s_total, steps = store.read_sli_sums_many([SLO_ID], pieces, []).by_name()[SLO_ID]

    assert last.tolist() == ts[::2].tolist() and steps.tolist() == [1] * 600
    assert s_good.tolist() == good[::2].tolist() and s_total.tolist() == (good[::2] + 1).tolist()
