"""The read side (``sloboard.reads``) and chart buckets (``sloboard.engine.buckets``): chart
series read from a real store, checked against counts the tests write and sum by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from sloboard.domain import AlertWindow, Deployment, DeployStatus, Severity, Window
from sloboard.dora_bands import load_dora_bands
from sloboard.engine.buckets import (bucket_ends, bucket_last, bucket_max, bucket_mean, bucket_seconds, bucket_sum,
                                     deployment_counts)
from sloboard.reads.cost import cost_buckets, cost_trends
from sloboard.reads.golden_signals import golden_signals
from sloboard.reads.health import freshness, last_runs, sample_gaps
from sloboard.reads.history import budget_history, slo_history, top_burners
from sloboard.reads.status import status_report
from sloboard.reads.trends import dora_trends
from tests.factories import make_slo, read_options
from tests.series_reads import read_series

STEP = 60
DAY = 86_400
AT = 1_800_000_000 // DAY * DAY + 12 * 3600  # noon UTC, on the step grid
ALERTS = (AlertWindow(Severity.PAGE, timedelta(hours=1), timedelta(minutes=5), 14.4),)


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def daily_slo(**overrides):
    """A 99 % SLO over a rolling day, so two days of minutes cover every window."""
    return make_slo(objective=0.99, window=Window(duration=timedelta(days=1)), alert_windows=ALERTS, **overrides)


def write_two_days(store, slo, bad_at: dict[int, float], total: float = 100.0):
    """100 events per step over two days ending at AT; ``bad_at`` maps step end -> bad events."""
    ts = np.arange(AT - 2 * DAY + STEP, AT + 1, STEP, dtype=np.int64)
    totals = np.full(ts.size, total)
    bad = np.array([bad_at.get(int(t), 0.0) for t in ts])
    store.sync_slos([slo])
    store.write_sli_samples(slo.id, ts, totals - bad, totals)
    return ts, totals - bad, totals


# --- buckets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span_s", "expected"),
    [
        pytest.param(DAY, 300, id="a day gets 5-minute buckets (288 points)"),
        pytest.param(7 * DAY, 1800, id="a week gets 30-minute buckets (336 points)"),
        pytest.param(30 * DAY, 7200, id="30 days get 2-hour buckets (360 points)"),
        pytest.param(90 * DAY, 21600, id="90 days get 6-hour buckets (360 points)"),
        pytest.param(2000 * DAY, 5 * DAY, id="beyond a day per point the bucket grows in whole days"),
    ],
)
def test_bucket_seconds_keeps_charts_under_the_point_limit(span_s, expected):
    assert bucket_seconds(span_s, STEP, max_points=400) == expected
    assert span_s / expected <= 400


def test_buckets_fold_steps_and_leave_empty_buckets_as_no_data():
    ts = np.array([60, 120, 300, 360, 1200])
    values = np.array([1.0, 3.0, 5.0, np.nan, 7.0])
    # Buckets of 300 s over (0, 1140]: ends 300, 600, 900, 1200 (the last drawn at 1140).
    assert list(bucket_ends(0, 1140, 300)) == [300, 600, 900, 1200]
    summed = bucket_sum(ts, values, 0, 1140, 300)
    assert list(summed.ts) == [300, 600, 900, 1140]
    # 1200 lies outside (0, 1140]; 360 is NaN (no data), so (300, 600] has nothing.
    np.testing.assert_array_equal(summed.values, [9.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(bucket_mean(ts, values, 0, 1200, 300).values, [3.0, np.nan, np.nan, 7.0])
    np.testing.assert_array_equal(bucket_max(ts, values, 0, 1200, 300).values, [5.0, np.nan, np.nan, 7.0])
    np.testing.assert_array_equal(bucket_last(ts, values, 0, 1200, 300).values, [5.0, np.nan, np.nan, 7.0])


# --- one SLO -----------------------------------------------------------------------


def test_slo_history_matches_hand_counts_and_the_status(store):
    slo = daily_slo()
    incident = AT - 5 * 3600  # 30 bad events per step for 10 minutes, five hours ago
    bad_at = {incident + i * STEP: 30.0 for i in range(1, 11)}
    write_two_days(store, slo, bad_at)
    deploy = Deployment("checkout", "1.2.3", DeployStatus.SUCCEEDED, utc(incident - 600), utc(incident - 300))
    store.record_deployment(deploy)

    history = slo_history(store, slo, AT, DAY, step_s=STEP)

    # 300-s buckets: the two buckets holding the incident have 5 steps x 30 bad each.
    assert history.bucket_s == 300
    bad_buckets = {int(t): v for t, v in zip(history.good_ratio.ts, history.good_ratio.values) if v < 1}
    assert bad_buckets == {incident + 300: pytest.approx(1 - 150 / 500), incident + 600: pytest.approx(1 - 150 / 500)}

    # Burn-down: all 300 bad events fall inside the day; allowed = 1 % of 1440 x 100 events.
    status = status_report(store, [slo], AT, **read_options()).to_dict()["slos"][0]
    expected_remaining = 1 - 300 / (0.01 * 1440 * 100)
    assert history.burndown.values[-1] == pytest.approx(expected_remaining)
    assert status["budget_remaining"] == pytest.approx(expected_remaining)
    assert history.burndown.values[0] == pytest.approx(1.0)

    # Burn rate: the 5-minute window fully inside the incident has (30/100) / 0.01 = 30x.
    assert np.nanmax(history.burn_rates["5m"].values) == pytest.approx(30.0)
    # The 1h window's peak holds all ten bad steps: (300 / 6000) / 0.01 = 5x.
    assert np.nanmax(history.burn_rates["1h"].values) == pytest.approx(5.0)

    # The deploy's hour holds the whole incident: 300 bad of 6000 events.
    (impact,) = history.impacts
    assert impact.deployment.version == "1.2.3"
    assert impact.budget_consumed == pytest.approx(300 / (0.01 * 1440 * 100))
    assert impact.burn_rate == pytest.approx((300 / 6000) / 0.01)
    assert top_burners(history.impacts) == [impact]


def test_deploy_before_the_slo_window_has_a_burn_rate_but_no_budget_share(store):
    slo = daily_slo()
    write_two_days(store, slo, {})
    started = AT - 30 * 3600  # inside the 2-day range, before the 1-day window
    store.record_deployment(Deployment("checkout", "0.9", DeployStatus.FAILED, utc(started), utc(started + 60)))
    (impact,) = slo_history(store, slo, AT, 2 * DAY, step_s=STEP).impacts
    assert impact.budget_consumed is None
    assert impact.burn_rate == 0.0
    assert top_burners([impact]) == []


def test_slo_history_without_samples_is_no_data_not_zero(store):
    slo = daily_slo()
    store.sync_slos([slo])
    history = slo_history(store, slo, AT, DAY, step_s=STEP)
    assert not history.good_ratio.has_data
    assert not history.burndown.has_data
    assert not history.burn_rates["1h"].has_data
    assert history.impacts == []


@pytest.mark.parametrize(
    ("at", "max_points"),
    [
        pytest.param(AT, 24, id="hourly instants: windows of whole rollup hours"),
        pytest.param(AT - 7 * STEP, 96, id="15-minute instants off the hour grid: cut hours read step by step"),
    ],
)
def test_budget_history_is_the_status_at_each_instant(store, at, max_points):
    slo = daily_slo()
    # One bad step per hour over both days (1 bad event each), and one bad step 7 minutes
    # past every hour (3 bad events), which only windows cut inside their hour tell apart.
    bad_at = {t: 1.0 for t in range(AT - 2 * DAY + 3600, AT + 1, 3600)}
    bad_at.update({t + 7 * STEP: 3.0 for t in range(AT - 2 * DAY, AT - 3600, 3600)})
    write_two_days(store, slo, bad_at)
    # 2 bad events at noon yesterday on top, which leave the rolling window 24 h later.
    store.write_sli_samples(slo.id, [AT - DAY], [97.0], [100.0])
    bad_at[AT - DAY] = 3.0

    history = budget_history(store, [slo], at, DAY, step_s=STEP, max_points=max_points)[slo.id]

    assert history.ts[-1] == at
    assert len(history.ts) == max_points + (at % 3600 != 0)
    for t, remaining in zip(history.ts, history.values):
        lo, hi = t - DAY, t  # the rolling window (lo, hi]
        bad = sum(v for ts, v in bad_at.items() if lo < ts <= hi)
        assert remaining == pytest.approx(1 - bad / (0.01 * 1440 * 100), abs=1e-12), f"at {t}"
    assert history.values[-1] == pytest.approx(status_report(store, [slo], at, **read_options()).slos[0].budget_remaining,
                                               abs=1e-12)


def test_sample_gaps_count_missing_steps_and_the_longest_gap(store):
    slo = daily_slo()
    ts, good, total = write_two_days(store, slo, {})
    # Keep the samples, except 7 steps two hours ago and the last 3 steps.
    hole = (ts > AT - 7200) & (ts <= AT - 7200 + 7 * STEP)
    store_keep = ~hole & (ts <= AT - 3 * STEP)
    fresh_slo = daily_slo(id="checkout/gappy", name="gappy")
    behind = daily_slo(id="checkout/behind", name="behind")  # stopped ten steps ago
    silent = daily_slo(id="checkout/silent", name="silent")  # never reported
    store.sync_slos([slo, fresh_slo, behind, silent])
    store.write_sli_samples(fresh_slo.id, ts[store_keep], good[store_keep], total[store_keep])
    early = ts <= AT - 10 * STEP
    store.write_sli_samples(behind.id, ts[early], good[early], total[early])

    gaps = {g.slo_id: g for g in sample_gaps(store, [slo, fresh_slo, behind, silent], AT, STEP)}

    assert gaps[slo.id].expected == 1440 and gaps[slo.id].missing == 0 and gaps[slo.id].longest_gap_s == 0
    gappy = gaps[fresh_slo.id]
    assert gappy.present == 1440 - 10
    assert gappy.missing == 10
    assert gappy.longest_gap_s == 7 * STEP
    assert gappy.newest == AT - 3 * STEP
    assert (gaps[behind.id].missing, gaps[behind.id].longest_gap_s) == (10, 10 * STEP)
    assert (gaps[silent.id].missing, gaps[silent.id].longest_gap_s, gaps[silent.id].newest) == (1440, DAY, None)


def test_freshness_flags_old_samples_and_failed_runs(store, clock):
    slo = daily_slo()
    write_two_days(store, slo, {})
    assert not freshness(store, AT + 120, interval_s=60).stale

    old = freshness(store, AT + 181, interval_s=60)
    assert old.stale and old.age_s == 181
    assert "newest sample is 3m1s old" in old.reasons[0]
    # The collector's lag (collect.lag_s) is allowed on top, as the deploy gate allows it.
    assert not freshness(store, AT + 181 + 119, interval_s=60, lag_s=120).stale
    assert freshness(store, AT + 181 + 120, interval_s=60, lag_s=120).stale

    run = store.start_run("prometheus", "sli:checkout/availability", AT - 60, AT)
    store.finish_run(run, status="failed", samples_written=0, error="connection refused")
    failed = freshness(store, AT + 60, interval_s=60)
    assert failed.stale
    assert [r.query_key for r in failed.failed_runs] == ["sli:checkout/availability"]
    # A later successful run of the same query clears it.
    run = store.start_run("prometheus", "sli:checkout/availability", AT - 60, AT)
    store.finish_run(run, status="ok", samples_written=1)
    assert not freshness(store, AT + 60, interval_s=60).stale
    assert [r.status for r in last_runs(store)] == ["ok"]


def test_freshness_names_three_failed_queries_and_counts_the_rest(store, clock):
    slo = daily_slo()
    write_two_days(store, slo, {})
    for n in range(5):
        run = store.start_run("prometheus", f"golden:q{n}", AT - 60, AT)
        store.finish_run(run, status="failed", samples_written=0, error="HTTP 500")
    (reason,) = freshness(store, AT + 60, interval_s=60).reasons
    # The banner ends the reasons with a full stop: a trailing ellipsis would read "…. Run".
    assert reason.startswith("last run failed for 5 queries: golden:q") and reason.endswith(" and 2 more")


@pytest.mark.parametrize("at_offset", [120, 180, 181, 3 * DAY], ids=lambda o: f"at newest + {o}s")
def test_freshness_of_named_slos_equals_the_store_wide_answer(store, at_offset):
    """The dashboard names its SLOs (one read of their recent samples); the answer is the
    store's newest sample and its age, fresh or not."""
    slo, other = daily_slo(), daily_slo(id="checkout/latency", name="latency")
    write_two_days(store, slo, {})
    store.sync_slos([slo, other])
    store.write_sli_samples(other.id, [AT - 600], [1.0], [1.0])
    named = freshness(store, AT + at_offset, interval_s=60, slo_ids=[other.id, slo.id])
    assert (named.newest, named.age_s, named.stale) == (AT, at_offset, at_offset > 180)
    assert named == freshness(store, AT + at_offset, interval_s=60)
    only_other = freshness(store, AT + at_offset, interval_s=60, slo_ids=[other.id])
    assert (only_other.newest, only_other.stale) == (AT - 600, True)


def test_empty_store_is_stale_with_a_reason(store):
    state = freshness(store, AT, interval_s=60)
    assert state.stale and state.newest is None
    assert state.reasons == ["no SLI samples stored yet"]


# --- services, deployments, cost ----------------------------------------------------


def test_golden_signals_are_bucket_means(store):
    ts = np.arange(AT - 3600 + STEP, AT + 1, STEP, dtype=np.int64)
    store.write_series("golden", "checkout", "traffic", ts, np.arange(ts.size, dtype=float))
    signals = golden_signals(store, "checkout", AT - 3600, AT, 1800)
    # First half hour: values 0..29, mean 14.5; second: 30..59, mean 44.5.
    np.testing.assert_allclose(signals["traffic"].values, [14.5, 44.5])
    assert not signals["latency_p99"].has_data


def test_deployment_counts_per_bucket_by_status():
    deploys = [
        Deployment("a", "1", DeployStatus.SUCCEEDED, utc(AT - 3000)),
        Deployment("a", "2", DeployStatus.FAILED, utc(AT - 2000)),
        Deployment("b", "3", DeployStatus.SUCCEEDED, utc(AT - 100)),
        Deployment("b", "4", DeployStatus.SUCCEEDED, utc(AT - 9000)),  # before the range
    ]
    counts = deployment_counts(deploys, AT - 3600, AT, 1800)
    np.testing.assert_array_equal(counts["succeeded"].values, [1, 1])
    np.testing.assert_array_equal(counts["failed"].values, [1, 0])
    np.testing.assert_array_equal(counts["rolled_back"].values, [0, 0])


def test_cost_buckets_add_sources_and_roll_services_up_into_teams(store):
    ts = np.arange(AT - 2 * 3600 + 3600, AT + 1, 3600, dtype=np.int64)  # two hourly samples
    store.write_series("cost", "service:checkout", "opencost", ts, [1.0, 2.0])
    store.write_series("cost", "service:checkout", "bill", ts, [0.5, 0.5])
    store.write_series("cost", "service:search", "opencost", ts, [10.0, 20.0])
    history = cost_buckets(store, [AT - 2 * 3600, AT - 3600], AT, {"checkout": "storefront"})
    np.testing.assert_allclose(history["service:checkout"].values, [1.5, 2.5])
    np.testing.assert_allclose(history["team:storefront"].values, [1.5, 2.5])
    np.testing.assert_allclose(history["total"].values, [11.5, 22.5])


# --- KPI trends -------------------------------------------------------------------------


def test_dora_trends_count_each_period_the_period_before_and_each_day(store):
    def deploy(service, version, status, ago_s):
        return Deployment(service, version, status, utc(AT - ago_s), utc(AT - ago_s + 300))

    S, F, R = DeployStatus.SUCCEEDED, DeployStatus.FAILED, DeployStatus.ROLLED_BACK
    plan = [
        deploy("a", "0", S, 60 * DAY - 3600),  # in the first day of the 30 days before the last 30
        deploy("a", "1", S, 13 * DAY), deploy("a", "2", F, 9 * DAY),  # the week before the last
        deploy("a", "3", S, 6 * DAY + 60), deploy("a", "4", S, 3 * DAY), deploy("a", "5", R, 2 * DAY),
        deploy("a", "6", S, 3600),
        deploy("b", "1", F, 2 * DAY - 60),  # b's only deployment
    ]
    store.record_deployments(plan)

    trends = dora_trends(store, AT, bands=load_dora_bands())

    week = {name: by_days[7] for name, by_days in trends.items()}
    assert (week["success_rate"].value, week["success_rate"].previous) == (pytest.approx(3 / 5), 1 / 2)
    assert week["success_rate"].delta == pytest.approx(3 / 5 - 1 / 2)
    assert week["rollback_rate"].value == pytest.approx(1 / 5)
    assert week["change_failure_rate"].value == pytest.approx(2 / 5)
    assert week["deployment_frequency"].value == pytest.approx(5 / 7)
    # A day's frequency is its count. Days are [start, end) as in DORA: 3d ago opens the
    # day ending 2d ago; 2d ago and 2d-60s share the next one; the last hour is in the last.
    daily_counts = week["deployment_frequency"].daily.values
    assert list(daily_counts) == [1, 0, 0, 0, 1, 2, 1]
    assert list(week["deployment_frequency"].daily.ts) == [AT - k * DAY for k in range(6, -1, -1)]
    assert np.isnan(week["success_rate"].daily.values[1])  # no deployment that day: undefined, not 0 %
    month = trends["success_rate"][30]
    assert (month.value, month.previous) == (pytest.approx(4 / 7), 1.0)

    status = {(e["service"], e["window"]): e for e in status_report(store, [], AT, **read_options()).to_dict()["dora"]}
    for days in (7, 30):
        entry = status[("*", f"{days}d")]
        assert trends["change_failure_rate"][days].value == entry["change_failure_rate"]
        assert trends["rollback_rate"][days].value == entry["rollback_rate"]
        assert trends["deployment_frequency"][days].value == entry["deployment_frequency_per_day"]
        assert trends["success_rate"][days].value == entry["succeeded"] / entry["deployments"]

    only_b = dora_trends(store, AT, services={"b"}, bands=load_dora_bands())["deployment_frequency"][7]
    assert only_b.value == pytest.approx(1 / 7)
    # Nothing of b was recorded before its first deployment: no prior week, no earlier days.
    assert only_b.previous is None and only_b.delta is None
    assert np.isnan(only_b.daily.values[:5]).all() and list(only_b.daily.values[5:]) == [1, 0]


def test_dora_trends_without_deployments_are_no_data(store):
    trend = dora_trends(store, AT, bands=load_dora_bands())["deployment_frequency"][7]
    assert trend.value is None and trend.previous is None and not trend.daily.has_data


def test_cost_trends_sum_whole_days_and_need_a_recorded_prior_period(store):
    hours = np.arange(AT - 20 * DAY + 3600, AT + 1, 3600, dtype=np.int64)  # $1 an hour for 20 days
    store.write_series("cost", "service:checkout", "opencost", hours, np.ones(hours.size))
    store.write_series("cost", "service:search", "opencost", hours, np.full(hours.size, 2.0))

    trends = cost_trends(store, AT, "team:storefront", {"checkout": "storefront"})

    week, month = trends[7], trends[30]
    assert (week.value, week.previous, week.delta) == (168.0, 168.0, 0.0)
    assert month.value == 480.0
    assert month.previous is None  # the store starts 20 days back: no whole 30 days before
    # UTC days, AT at noon: 31 of them, the first and today half days; the store starts at AT - 20 d.
    assert list(month.daily.ts) == [AT - 29 * DAY - DAY // 2 + k * DAY for k in range(30)] + [AT]
    assert np.isnan(month.daily.values[:10]).all()
    assert list(month.daily.values[10:]) == [12.0] + [24.0] * 19 + [12.0]
    entries = {(e["scope"], e["window"]): e["usd"] for e in status_report(store, [], AT, **read_options()).to_dict()["cost"]}
    assert cost_trends(store, AT, "total", {})[7].value == entries[("total", "7d")] == 168.0 * 3
    assert cost_trends(store, AT, "service:search", {})[30].value == entries[("service:search", "30d")]


def test_sample_gaps_do_not_count_steps_that_are_not_due_yet(store):
    slo = daily_slo()
    ts, good, total = write_two_days(store, slo, {})
    lagging = daily_slo(id="checkout/lagging", name="lagging")
    store.sync_slos([slo, lagging])
    # Written as a collector 120 s behind now leaves it, with one real hole of 4 steps an hour ago.
    keep = (ts <= AT - 120) & ~((ts > AT - 3600) & (ts <= AT - 3600 + 4 * STEP))
    store.write_sli_samples(lagging.id, ts[keep], good[keep], total[keep])

    naive = {g.slo_id: g for g in sample_gaps(store, [lagging], AT, STEP)}[lagging.id]
    assert naive.missing == 4 + 2

    (gaps,) = sample_gaps(store, [lagging], AT, STEP, not_due_s=120 + STEP)
    assert gaps.due_until == AT - 180
    assert gaps.expected == 1440 - 3
    assert gaps.missing == 4 and gaps.longest_gap_s == 4 * STEP
    assert gaps.newest == AT - 120


def test_golden_signals_before_the_raw_retention_are_hourly_means_from_the_rollups(store):
    end = AT + 1234  # off the hour: the partial last hour comes from steps
    ts = np.arange(end - 5 * DAY + STEP, end + 1, STEP, dtype=np.int64)
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 100, ts.size)
    keep = rng.random(ts.size) > 0.2  # holes, so each hour's mean weighs its own steps
    ts, values = ts[keep], values[keep]
    store.write_series("golden", "checkout", "latency_p99", ts, values)
    store.delete_samples_before(0, kind_cutoffs={"golden": end - 2 * DAY})  # steps of the last 2 days stay
    assert read_series(store, "golden", "checkout", "latency_p99", 0, end)[0][0] > end - 2 * DAY

    start = end - 4 * DAY
    for asked, bucket in ((600, 3600), (7200, 7200)):
        signals = golden_signals(store, "checkout", start, end, asked, raw_retention_s=2 * DAY)
        # numpy over the original steps; the hour holding ``start`` counts whole
        first_hour = start - start % 3600
        inside = (ts > first_hour) & (ts <= end)
        bucket_of = -(-ts[inside] // bucket) * bucket
        ends = np.unique(bucket_of)
        want = np.array([values[inside][bucket_of == e].mean() for e in ends])
        got = signals["latency_p99"]
        np.testing.assert_array_equal(got.ts, np.minimum(ends, end))
        np.testing.assert_allclose(got.values, want, rtol=1e-12)
        assert not signals["traffic"].has_data

    # A range inside the retention: raw steps in the buckets asked, as before.
    recent = golden_signals(store, "checkout", end - DAY, end, 1800, raw_retention_s=2 * DAY)["latency_p99"]
    inside = (ts > end - DAY) & (ts <= end)
    bucket_of = -(-ts[inside] // 1800) * 1800
    np.testing.assert_allclose(recent.values, [values[inside][bucket_of == e].mean() for e in np.unique(bucket_of)],
                               rtol=1e-12)
