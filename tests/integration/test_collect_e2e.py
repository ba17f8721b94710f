"""`sloboard collect` and `sloboard status` against a real Prometheus holding the synthetic
fleet, checked against truths computed here from the fleet's integer counters.

The fleet is written as OpenMetrics, backfilled with promtool and served by Prometheus;
the CLI runs as a subprocess with its settings in SLOBOARD_* variables, on the demo specs
in slo_specs/. Truths are plain numpy sums over the per-step counts the fleet generated,
never sloboard's engine: an SLI over ``(t - W, t]`` is the sum of good over the sum of total
of the steps ending in that interval.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import numpy as np
import pytest

from collectors.collect import collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.targets import GoldenSignalTarget, GroupedGoldenSignalTarget
from collectors.synthetic import CODES, DEMO_SERVICES, GIB, LATENCY_BOUNDS_S, LE_LABELS, Fleet, generate_fleet
from collectors.synthetic_store import histogram_quantile
from sloboard.settings import PrometheusSettings
from sloboard.store import Store
from tests.openmetrics_backfill import openmetrics_text
from tests.series_reads import read_series, read_series_hourly

from . import prom
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP = 60
HOUR, DAY = 3600, 86400
AT = int(datetime(2026, 5, 28, tzinfo=timezone.utc).timestamp())  # a midnight: no deploys near the edge
MONTH_START = int(datetime(2026, 5, 1, tzinfo=timezone.utc).timestamp())
SEED = 11

# What each demo SLO counts, written out here from the specs rather than read from them:
# (service, good = non-5xx requests or the bucket with this `le`).
SLO_TRUTHS = {
    "checkout/availability": ("checkout", "non-5xx"),
    "checkout/latency": ("checkout", "0.25"),
    "payments/availability": ("payments", "non-5xx"),
    "payments/latency": ("payments", "0.5"),
    "search/availability": ("search", "non-5xx"),
    "search/latency": ("search", "0.1"),
}
# The start of each SLO's own window at AT: 28 days rolling, the calendar month, 30 days (Sloth).
SLO_WINDOW_START = {
    "checkout/availability": AT - 28 * DAY,
    "checkout/latency": AT - 28 * DAY,
    "payments/availability": MONTH_START,
    "payments/latency": AT - 28 * DAY,
    "search/availability": AT - 30 * DAY,
    "search/latency": AT - 28 * DAY,
}
WINDOWS = {"1h": HOUR, "6h": 6 * HOUR, "1d": DAY, "7d": 7 * DAY, "28d": 28 * DAY}


def good_and_total(fleet: Fleet, slo_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-step good and total of one demo SLO, from the fleet's counters."""
    service, good_kind = SLO_TRUTHS[slo_id]
    per_code = {code: fleet.requests(service, code) for code in CODES}
    total = sum(per_code.values())
    if good_kind == "non-5xx":
        good = sum(v for code, v in per_code.items() if not code.startswith("5"))
    else:
        good = fleet.series(service).buckets[:, LE_LABELS.index(good_kind)]
    return good.astype(np.int64), total.astype(np.int64)


def assert_counts(got: np.ndarray, expected: np.ndarray, what) -> None:
    """Equal counts. A Sloth query (``rate(x[{{.window}}])``, multiplied back by the step)
    carries float round-off near 1e-12; one event more or less is off by far more than 1e-12."""
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=str(what))


def in_window(ts: np.ndarray, start: int, end: int) -> np.ndarray:
    return (ts > start) & (ts <= end)


def cost_per_step(fleet: Fleet, service: str) -> np.ndarray:
    """USD per step as OpenCost prices it: cores and GiB allocated times their node's hourly prices."""
    cores = fleet.series(service).cpu_allocation
    usd_per_hour = np.zeros(fleet.ts.size)
    for pod in fleet.pods:
        if pod.service == service:
            usd_per_hour += cores * pod.node.cpu_hourly_usd + pod.memory_bytes / GIB * pod.node.ram_hourly_usd
    return usd_per_hour * STEP / 3600


def deployment_truth(fleet: Fleet, at: int, length: int) -> dict[tuple[str, str], int]:
    """Counts by (service or "*", status) of deployments the counter shows in ``[at - length, at)``.

    The counter counts a deployment at the first step end at or after it finished; DORA
    counts deployments whose time lies in ``[start, end)``.
    """
    out: dict[tuple[str, str], int] = {}
    for d in fleet.deployments:
        finished = int(d.finished_at.timestamp())
        counted_at = fleet.start + -(-(finished - fleet.start) // STEP) * STEP
        if at - length <= counted_at < at:
            for service in (d.service, "*"):
                out[(service, d.status.value)] = out.get((service, d.status.value), 0) + 1
    return out


@pytest.fixture(scope="module")
def fleet35() -> Fleet:
    return generate_fleet(DEMO_SERVICES, AT - 35 * DAY, AT, step_s=STEP, seed=SEED)


def test_35_days_collected_give_exact_slis_dora_cost_and_golden_signals(
    prometheus_with, fleet35, tmp_path, record_property
):
    """The done criterion. One test, so that a parallel run backfills the 35 days once."""
    timings = {}
    began = time.monotonic()
    server = prometheus_with(openmetrics_text(fleet35))
    timings["write_backfill_start_s"] = time.monotonic() - began

    env = cli_env(tmp_path / "var", server.url)
    began = time.monotonic()
    collect = run_sloboard(["collect", "--since", "35d", "--until", str(AT)], env, tmp_path)
    timings["collect_s"] = time.monotonic() - began
    assert collect.returncode == 0, collect.stderr
    # 6 SLIs, 6 golden signals (one grouped query each for the 3 services), deployments, cost.
    assert collect.stdout.strip().endswith("from 14 queries; 0 failed"), collect.stdout
    began = time.monotonic()
    status = run_sloboard(["status", "--json", "--at", str(AT)], env, tmp_path)
    timings["status_s"] = time.monotonic() - began
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)

    with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}", upgrade=False) as store:
        check_status_slis(fleet35, report)
        check_stored_slis(fleet35, store)
        check_golden_signals(fleet35, store)
    check_dora(fleet35, report)
    check_cost(fleet35, report)

    for name, seconds in timings.items():
        record_property(name, round(seconds, 2))
    print("35-day e2e timings: " + ", ".join(f"{k}={v:.1f}" for k, v in timings.items()))


def check_status_slis(fleet: Fleet, report: dict) -> None:
    """SLIs over each SLO's own window, as `status` reports them."""
    by_id = {entry["id"]: entry for entry in report["slos"]}
    assert sorted(by_id) == sorted(SLO_TRUTHS)
    for slo_id, entry in by_id.items():
        good, total = good_and_total(fleet, slo_id)
        keep = in_window(fleet.ts, SLO_WINDOW_START[slo_id], AT)
        assert entry["window_start"] == datetime.fromtimestamp(SLO_WINDOW_START[slo_id], timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), slo_id
        assert_counts(np.array([entry["good"], entry["total"]]), np.array([good[keep].sum(), total[keep].sum()]), slo_id)
        assert entry["sli"] == pytest.approx(good[keep].sum() / total[keep].sum(), abs=1e-4), slo_id
        assert entry["data_completeness"] == pytest.approx(1.0), slo_id


def check_stored_slis(fleet: Fleet, store: Store) -> None:
    """SLIs over 1h .. 28d, from the per-step samples the collector stored."""
    for slo_id in SLO_TRUTHS:
        good, total = good_and_total(fleet, slo_id)
        for label, length in WINDOWS.items():
            keep = in_window(fleet.ts, AT - length, AT)
            got_ts, got_good, got_total = store.read_sli_samples(slo_id, AT - length, AT)
            assert np.array_equal(got_ts, fleet.ts[keep]), (slo_id, label)  # no holes, no duplicates
            assert_counts(got_good, good[keep], (slo_id, label))
            assert_counts(got_total, total[keep], (slo_id, label))
            truth_sli = good[keep].sum() / total[keep].sum()
            assert got_good.sum() / got_total.sum() == pytest.approx(truth_sli, abs=1e-4), (slo_id, label)


def check_golden_signals(fleet: Fleet, store: Store) -> None:
    """Traffic, error ratio, p95 latency and saturation per step, as the shipped queries compute them
    (grouped by service: a query that mixed services up would miss here)."""
    for profile in DEMO_SERVICES:
        total = sum(fleet.requests(profile.name, code) for code in CODES).astype(np.float64)
        errors = (fleet.requests(profile.name, "500") + fleet.requests(profile.name, "503")).astype(np.float64)
        got_ts, traffic = read_series(store, "golden", profile.name, "traffic", 0, AT)
        assert np.array_equal(got_ts, fleet.ts)
        np.testing.assert_allclose(traffic, total / STEP, rtol=1e-12)
        got_ts, ratio = read_series(store, "golden", profile.name, "error_ratio", 0, AT)
        has_requests = total > 0
        assert np.array_equal(got_ts, fleet.ts[has_requests])  # no requests: no ratio, not 0
        np.testing.assert_allclose(ratio, errors[has_requests] / total[has_requests], rtol=1e-9, atol=1e-15)
        got_ts, saturation = read_series(store, "golden", profile.name, "saturation", 0, AT)
        assert np.array_equal(got_ts, fleet.ts)
        # cAdvisor's CPU seconds over the CPU limit: float counters, exact to round-off.
        np.testing.assert_allclose(saturation, fleet.series(profile.name).saturation, rtol=0, atol=1e-9)
        got_ts, p95 = read_series(store, "golden", profile.name, "latency_p95", 0, AT)
        assert np.array_equal(got_ts, fleet.ts[has_requests])
        expected = histogram_quantile(0.95, LATENCY_BOUNDS_S, fleet.series(profile.name).buckets)
        np.testing.assert_allclose(p95, expected[has_requests], rtol=1e-9)


def check_dora(fleet: Fleet, report: dict) -> None:
    """Deployments and rollbacks per service and in all, from the deployments_total counter."""
    dora = {(e["service"], e["window"]): e for e in report["dora"]}
    for label, length in (("7d", 7 * DAY), ("30d", 30 * DAY)):
        truth = deployment_truth(fleet, AT, length)
        assert truth[("*", "rolled_back")] > 0 and truth[("*", "failed")] > 0  # the check can fail
        for service in ("*", *sorted(s.name for s in DEMO_SERVICES)):
            entry = dora[(service, label)]
            expected = {status: truth.get((service, status), 0) for status in ("succeeded", "failed", "rolled_back")}
            assert {status: entry[status] for status in expected} == expected, (service, label)
            assert entry["deployments"] == sum(expected.values()), (service, label)


def check_cost(fleet: Fleet, report: dict) -> None:
    """Cost per service from OpenCost's allocation and node prices within 0.1 % (the shipped
    query prices nodes from their totals, with OpenCost's default CPU/RAM price ratio), the
    total as the nodes' bill, and the idle rest what the services leave of it."""
    cost = {(e["scope"], e["window"]): e["usd"] for e in report["cost"]}
    bill_per_step = sum(node.total_hourly_usd for node in fleet.nodes) * STEP / 3600
    for label, length in (("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY)):
        keep = in_window(fleet.ts, AT - length, AT)
        per_service = {s.name: cost_per_step(fleet, s.name)[keep].sum() for s in DEMO_SERVICES}
        for service, usd in per_service.items():
            assert cost[(f"service:{service}", label)] == pytest.approx(usd, rel=1e-3), (service, label)
        bill = bill_per_step * keep.sum()
        assert cost[("total", label)] == pytest.approx(bill, rel=1e-9), label
        idle = bill - sum(per_service.values())
        assert idle > 0 and cost[("service:__idle__", label)] == pytest.approx(idle, rel=1e-3), label


# --- incremental and idempotent, on two days ---------------------------------------------------

SMALL_START = AT - 2 * DAY
FIRST_UNTIL = AT - 12 * HOUR


@pytest.fixture(scope="module")
def fleet2() -> Fleet:
    return generate_fleet(DEMO_SERVICES, SMALL_START, AT, step_s=STEP, seed=SEED + 1)


@pytest.fixture(scope="module")
def prometheus2(prometheus_with, fleet2):
    return prometheus_with(openmetrics_text(fleet2))


def _snapshot(store: Store, slo_ids) -> dict:
    """Everything a collect pass writes, as plain lists."""
    out = {}
    for slo_id in slo_ids:
        out[("sli", slo_id)] = [a.tolist() for a in store.read_sli_samples(slo_id, 0, AT)]
    for kind in ("golden", "cost"):
        for scope, name in store.series_keys(kind):
            out[(kind, scope, name)] = [a.tolist() for a in read_series(store, kind, scope, name, 0, AT)]
    out["deployments"] = store.deployments()
    out["runs"] = store.runs(limit=10_000)
    return out


def _increase(server_url: str, promql: str, at: int) -> float:
    query = urllib.parse.urlencode({"query": promql, "time": str(at)})
    with urllib.request.urlopen(f"{server_url}/api/v1/query?{query}", timeout=30) as answer:
        body = json.load(answer)
    (sample,) = body["data"]["result"]
    return float(sample["value"][1])


def test_second_collect_writes_only_new_steps_and_a_repeat_changes_nothing(
    prometheus2, fleet2, store_url, store, tmp_path
):
    env = cli_env(tmp_path / "var", prometheus2.url, database_url=store_url)
    first = run_sloboard(["collect", "--since", "2d", "--until", str(FIRST_UNTIL)], env, tmp_path)
    assert first.returncode == 0, first.stderr
    ids = sorted(SLO_TRUTHS)
    assert {r.query_key for r in store.runs()} >= {f"sli:{i}" for i in ids}
    assert all(store.watermark(f"sli:{i}") == FIRST_UNTIL for i in ids)

    second = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, tmp_path)
    assert second.returncode == 0, second.stderr
    new_steps = (AT - FIRST_UNTIL) // STEP
    newest = {r.query_key: r for r in store.runs(limit=14)}
    for slo_id in ids:
        run = newest[f"sli:{slo_id}"]
        assert (run.status, run.range_start, run.range_end, run.samples_written) == ("ok", FIRST_UNTIL, AT, new_steps)
        assert f"sli:{slo_id}: {new_steps} samples" in second.stderr
        good, total = good_and_total(fleet2, slo_id)
        got_ts, got_good, got_total = store.read_sli_samples(slo_id, 0, AT)
        assert np.array_equal(got_ts, fleet2.ts)
        assert_counts(got_good, good, slo_id)
        assert_counts(got_total, total, slo_id)

    before = _snapshot(store, ids)
    marks = {key: store.watermark(key) for key in newest}
    third = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, tmp_path)
    assert third.returncode == 0, third.stderr
    assert third.stdout.strip() == "collected 0 samples from 14 queries; 0 failed"
    lines = third.stderr.strip().splitlines()
    assert len(lines) == 14 and all(line.endswith(": up to date") for line in lines), lines
    assert _snapshot(store, ids) == before
    assert {key: store.watermark(key) for key in newest} == marks


def test_steps_past_the_retention_are_collected_as_exact_hourly_sums(prometheus2, fleet2, store_url, store, tmp_path):
    """A backfill reaching past the step retention keeps those hours as rollups only, equal
    to the fleet's own sums, and `status` still gives the truth over windows that start
    on the hour there."""
    # A retention in minutes that puts the horizon 2.5 h before AT, on the hour: AT - 3 h.
    retention = f"{int((time.time() - (AT - 2 * HOUR - 1800)) // 60)}m"
    horizon = AT - 3 * HOUR
    # Golden hours kept as long as rollups: this fleet lies months back, past the default 90 days.
    env = cli_env(tmp_path / "var", prometheus2.url, database_url=store_url,
                  collect__raw_retention=retention, collect__golden_raw_retention=retention,
                  collect__golden_hourly_retention="400d")
    done = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    status = run_sloboard(["status", "--json", "--at", str(AT)], env, tmp_path)
    assert status.returncode == 0, status.stderr
    by_id = {entry["id"]: entry for entry in json.loads(status.stdout)["slos"]}
    hour_of = -(-fleet2.ts // HOUR) * HOUR
    for slo_id in SLO_TRUTHS:
        good, total = good_and_total(fleet2, slo_id)
        hours = np.unique(hour_of)
        got_ts, got_good, got_total, got_steps = store.read_sli_hourly_many([slo_id], 0, AT)[slo_id]
        np.testing.assert_array_equal(got_ts, hours)
        assert_counts(got_good, np.array([good[hour_of == h].sum() for h in hours]), slo_id)
        assert_counts(got_total, np.array([total[hour_of == h].sum() for h in hours]), slo_id)
        assert set(got_steps.tolist()) == {60}
        np.testing.assert_array_equal(store.read_sli_samples(slo_id, 0, AT)[0], fleet2.ts[fleet2.ts > horizon])
        entry = by_id[slo_id]
        assert_counts(np.array([entry["good"], entry["total"]]), np.array([good.sum(), total.sum()]), slo_id)
        for label, length in (("1h", HOUR), ("6h", 6 * HOUR)):  # all steps; a window starting in the rollups
            keep = in_window(fleet2.ts, AT - length, AT)
            objective = entry["objective"]
            truth = (1 - good[keep].sum() / total[keep].sum()) / (1 - objective)
            assert entry["burn_rates"][label] == pytest.approx(truth, rel=1e-9), (slo_id, label)
    traffic = read_series_hourly(store, "golden", [("checkout", "traffic")], 0, AT)[("checkout", "traffic")]
    assert traffic[0].size == 48
    assert read_series(store, "golden", "checkout", "traffic", 0, AT)[0].min() == horizon + STEP


# (SLO, which count, the same count as Prometheus's own increase() over a window W)
INCREASES = [
    ("checkout/availability", "total", 'sum(increase(http_requests_total{service="checkout"}[W]))'),
    ("payments/availability", "good", 'sum(increase(http_requests_total{service="payments",code!~"5.."}[W]))'),
    ("search/latency", "good", 'sum(increase(http_request_duration_seconds_bucket{service="search",le="0.1"}[W]))'),
]
COLUMN = {"good": 1, "total": 2}  # in (ts, good, total)


def test_per_step_sums_equal_prometheus_increase_over_sample_aligned_windows(prometheus2, store_url, store, tmp_path):
    env = cli_env(tmp_path / "var", prometheus2.url, database_url=store_url)
    done = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    for slo_id, column, promql in INCREASES:
        for at, length in ((AT, HOUR), (AT - 5 * HOUR, 6 * HOUR), (AT - 7 * HOUR, DAY), (AT, 2 * DAY)):
            stored = store.read_sli_samples(slo_id, at - length, at)[COLUMN[column]].sum()
            expected = _increase(prometheus2.url, promql.replace("[W]", f"[{length}s]"), at)
            assert stored == expected, (slo_id, column, at, length)


# The error ratio of one service, as a queries file with $service would write it.
PER_SERVICE_ERROR_RATIO = """
    (
      sum(rate(http_requests_total{service="$service",code=~"5.."}[$window]))
      or 0 * sum(rate(http_requests_total{service="$service"}[$window]))
    )
      / sum(rate(http_requests_total{service="$service"}[$window]))
"""


@pytest.mark.parametrize("form", ["grouped", "per service"])
def test_error_ratio_is_zero_not_missing_before_the_first_5xx(prometheus_with, store, form):
    """Client libraries create the ``code="500"`` series only at the first 5xx; until then
    the error-ratio query must say 0, not "no data": the shipped query grouped by service,
    and the same written per service."""
    start, steps = AT - 6 * HOUR, 6 * 60
    rng = np.random.default_rng(3)
    ok = {"calm": rng.integers(50, 100, steps + 1), "flaky": rng.integers(50, 100, steps + 1)}
    errors = np.zeros(steps + 1, dtype=np.int64)
    errors[200:] = rng.integers(0, 5, steps + 1 - 200)
    series = [prom.counter_series("http_requests_total", {"service": name, "code": "200"}, start, inc)
              for name, inc in ok.items()]
    # flaky's 5xx series appears at sample 200, as a client library would start it.
    first = prom.counter_series("http_requests_total", {"service": "flaky", "code": "500"}, start, errors)
    series.append(prom.MetricSeries(first.name, first.labels, first.ts[200:], first.values[200:]))
    server = prometheus_with(series)

    queries = load_queries()
    if form == "grouped":
        targets = [GroupedGoldenSignalTarget("error_ratio", frozenset(ok), queries)]
    else:
        queries = dataclasses.replace(queries, golden_signals={"error_ratio": PER_SERVICE_ERROR_RATIO})
        targets = [GoldenSignalTarget(name, "error_ratio", queries) for name in ok]
    source = PrometheusSource(PrometheusSettings(url=server.url, retry_max_s=1))
    try:
        summary = collect_pass(store, source, targets, until=start + steps * STEP, since_s=steps * STEP,
                               step=STEP, max_points=11_000)
    finally:
        source.close()
    assert summary.failed == []
    ts, calm = read_series(store, "golden", "calm", "error_ratio", 0, AT)
    assert np.array_equal(ts, start + STEP * np.arange(1, steps + 1)) and not calm.any()
    ts, flaky = read_series(store, "golden", "flaky", "error_ratio", 0, AT)
    # Before its first sample the 5xx series adds nothing; from sample 201 on, errors per step.
    expected = np.where(np.arange(1, steps + 1) > 200, errors[1:], 0) / (ok["flaky"][1:] + np.where(
        np.arange(1, steps + 1) > 200, errors[1:], 0))
    assert ts.size == steps
    np.testing.assert_allclose(flaky, expected, rtol=1e-9, atol=1e-15)


def test_grouped_query_asks_only_for_the_services_with_an_slo_matching_names_exactly(prometheus_with):
    """``$services`` narrows the shipped grouped queries in PromQL; a dot in a name is a dot,
    so ``calm.v2`` does not pull in ``calmXv2``."""
    start, steps = AT - HOUR, 60
    rng = np.random.default_rng(5)
    per_step = {name: rng.integers(50, 100, steps + 1) for name in ("calm.v2", "calmXv2", "flaky")}
    server = prometheus_with([
        prom.counter_series("http_requests_total", {"service": name, "code": "200"}, start, inc)
        for name, inc in per_step.items()
    ])
    query = load_queries().golden("traffic", STEP, services={"calm.v2", "flaky"})
    source = PrometheusSource(PrometheusSettings(url=server.url, retry_max_s=1))
    try:
        answer = source.query_range(query, start + STEP, start + steps * STEP, STEP)
    finally:
        source.close()
    assert sorted(s.label_map["service"] for s in answer) == ["calm.v2", "flaky"]
    for s in answer:
        np.testing.assert_allclose(s.values, per_step[s.label_map["service"]][1:] / STEP, rtol=1e-12)
