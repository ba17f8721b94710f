"""Collecting when things go wrong: Prometheus stopped mid-backfill, a server that answers
500, garbage or nothing, a query Prometheus rejects, and a second collector at once.

Each fault must leave a failed run with its error in ``collector_runs``, keep every
watermark at the last whole chunk, let the other queries go on, and end `sloboard
collect` with exit code 1 and one line per problem; the next pass must then give
exactly what a clean pass gives.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from collectors.collect import LOCK_NAME, collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.synthetic import DEMO_SERVICES, Fleet, generate_fleet
from collectors.targets import targets_for
from sloboard.settings import PrometheusSettings
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.openmetrics_backfill import openmetrics_text
from tests.series_reads import read_series

from .sloboard_cli import DEMO_SPECS, cli_env, run_sloboard
from .stub_http import prometheus_matrix

pytestmark = pytest.mark.integration

STEP = 60
AT = int(datetime(2026, 5, 28, tzinfo=timezone.utc).timestamp())
DAY = 86400
MAX_POINTS = 120  # two hours per request: a one-day backfill takes 12 chunks per query


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return generate_fleet(DEMO_SERVICES, AT - DAY, AT, step_s=STEP, seed=5)


@pytest.fixture(scope="module")
def fleet_text(fleet) -> str:
    return openmetrics_text(fleet)


@pytest.fixture(scope="module")
def demo_slos():
    result = load_specs([DEMO_SPECS])
    assert result.slos, result.problems
    return result.slos


def _pass(store, source, slos):
    return collect_pass(
        store, source, targets_for(slos, load_queries()), until=AT, since_s=DAY, step=STEP,
        max_points=MAX_POINTS, slos=slos,
    )


def _assert_same_contents(store: Store, clean: Store, slos) -> None:
    """The same steps everywhere, the same counts and deployments exactly, the same series values.

    Series values (cost, golden signals) come from ``sum``/``histogram_quantile`` over
    several series, which Prometheus adds up in no fixed order: two evaluations of one
    query may differ in the last bit, so they are compared to 1e-12.
    """
    for slo in slos:
        got, want = store.read_sli_samples(slo.id, 0, AT), clean.read_sli_samples(slo.id, 0, AT)
        assert all(np.array_equal(a, b) for a, b in zip(got, want)), slo.id
    for kind in ("golden", "cost"):
        assert store.series_keys(kind) == clean.series_keys(kind)
        for scope, name in clean.series_keys(kind):
            (ts, values), (want_ts, want_values) = (
                read_series(s, kind, scope, name, 0, AT) for s in (store, clean)
            )
            assert np.array_equal(ts, want_ts), (kind, scope, name)
            np.testing.assert_allclose(values, want_values, rtol=1e-12, err_msg=f"{kind} {scope} {name}")
    assert store.deployments() == clean.deployments()


class StopsServerAfter:
    """A Source that stops the Prometheus server just before request ``n`` (our seam, a real server)."""

    def __init__(self, inner: PrometheusSource, server, n: int):
        self.inner, self.server, self.n, self.calls = inner, server, n, 0

    def query_range(self, promql, start, end, step):
        self.calls += 1
        if self.calls == self.n:
            self.server.stop()
        return self.inner.query_range(promql, start, end, step)


def _source(url: str) -> PrometheusSource:
    return PrometheusSource(PrometheusSettings(url=url, retry_max_s=0.3, timeout_s=10))


def test_prometheus_stopped_mid_backfill_then_restarted_gives_exactly_a_clean_run(
    prometheus_with, fleet_text, fleet, demo_slos, store, tmp_path
):
    server = prometheus_with(fleet_text, private=True)
    slos = sorted(demo_slos, key=lambda s: s.id)
    # checkout/availability takes calls 1-24 (12 chunks, good and total); call 31 is the
    # first of checkout/latency's fourth chunk.
    broken = StopsServerAfter(_source(server.url), server, 31)
    summary = _pass(store, broken, slos)

    results = {r.key: r for r in summary.results}
    assert results["sli:checkout/availability"].error is None
    assert all("Connection refused" in r.error for r in summary.results[1:]), summary.results
    latency = [r for r in store.runs(limit=100) if r.query_key == "sli:checkout/latency"]
    assert [(r.status, r.samples_written) for r in latency] == [("failed", 3 * MAX_POINTS)]
    assert "Connection refused" in latency[0].error
    assert store.watermark("sli:checkout/latency") == AT - DAY + 3 * MAX_POINTS * STEP
    assert store.watermark("sli:checkout/availability") == AT
    assert store.watermark("sli:search/latency") is None
    assert len(store.runs(limit=100)) == len(summary.results)  # every query was tried

    server.start()
    source = _source(server.url)
    try:
        assert _pass(store, source, slos).failed == []
        clean = Store.open(f"sqlite:///{tmp_path / 'clean.db'}")
        try:
            assert _pass(clean, source, slos).failed == []
            _assert_same_contents(store, clean, slos)
        finally:
            clean.close()
    finally:
        source.close()
    # No holes and no duplicates: every step of the day once, with the fleet's counts.
    ts, good, total = store.read_sli_samples("checkout/latency", 0, AT)
    assert np.array_equal(ts, fleet.ts)
    assert np.array_equal(total, fleet.series("checkout").buckets[:, -1])


def _specs_dir(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in files:
        shutil.copy(DEMO_SPECS / name, folder / name)
    return folder


@pytest.mark.parametrize(
    "status, body, delay_s, expected",
    [
        pytest.param(500, "internal failure", 0.0, "HTTP 500: internal failure", id="HTTP 500"),
        pytest.param(200, '{"status": "success", "data": ', 0.0, "not JSON", id="malformed JSON"),
        pytest.param(200, prometheus_matrix([]), 5.0, "no answer within 0.3 s", id="timeout"),
    ],
)
def test_failing_server_records_a_failed_run_per_query_and_exits_1(
    stub_http, store_url, store, tmp_path, status, body, delay_s, expected
):
    stub_http.reply(status, body, delay_s=delay_s)
    specs = _specs_dir(tmp_path, "checkout.yaml", "prometheus.yaml")
    env = cli_env(tmp_path / "var", stub_http.url, specs_dir=specs, database_url=store_url,
                  prometheus__retry_max_s="0.2", prometheus__timeout_s="0.3",
                  # One query at a time: eight at once against a 0.3 s timeout on a busy
                  # machine would turn some HTTP 500s into timeouts.
                  collect__concurrency="1")
    done = run_sloboard(["collect", "--since", "1d", "--until", str(AT)], env, tmp_path)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    # Two SLOs, six golden signals, deployments and cost: every query tried, each failure one line.
    assert lines[-1] == "collected 0 samples from 10 queries; 10 failed"
    assert len(lines) == 11 and all(line.startswith("failed ") and expected in line for line in lines[:-1]), lines
    assert "Traceback" not in done.stderr
    runs = store.runs()
    assert len(runs) == 10 and {r.status for r in runs} == {"failed"}
    assert all(expected in r.error for r in runs)
    assert {r.query_key for r in runs} >= {"sli:checkout/availability", "sli:checkout/latency", "cost:opencost"}
    assert store.watermark("sli:checkout/availability") is None


BROKEN_SPEC = """\
# An SLO with a typo in its good query that only Prometheus notices.
apiVersion: openslo/v1
kind: SLO
metadata:
  name: typo
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-typo
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            metricSourceRef: prometheus
            spec:
              query: summ(http_requests_total{service="checkout",code!~"5.."})
        total:
          metricSource:
            metricSourceRef: prometheus
            spec:
              query: sum(http_requests_total{service="checkout"})
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def test_query_prometheus_rejects_names_the_slo_spec_and_message_and_others_are_collected(
    prometheus_with, fleet_text, fleet, store_url, store, tmp_path
):
    server = prometheus_with(fleet_text)
    specs = _specs_dir(tmp_path, "checkout.yaml", "prometheus.yaml")
    (specs / "typo.yaml").write_text(BROKEN_SPEC)
    env = cli_env(tmp_path / "var", server.url, specs_dir=specs, database_url=store_url)
    done = run_sloboard(["collect", "--since", "1d", "--until", str(AT)], env, tmp_path)

    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if line.startswith("failed ")]
    assert len(failures) == 1, done.stderr
    (line,) = failures
    assert line.startswith(f"failed sli:checkout/typo: SLO checkout/typo ({specs / 'typo.yaml'}:")
    assert 'unknown function with name "summ"' in line  # Prometheus's own words
    assert done.stderr.strip().splitlines()[-1].endswith(" samples from 11 queries; 1 failed")

    (typo_run,) = [r for r in store.runs() if r.query_key == "sli:checkout/typo"]
    assert typo_run.status == "failed" and 'unknown function with name "summ"' in typo_run.error
    ts, good, total = store.read_sli_samples("checkout/availability", 0, AT)
    assert np.array_equal(ts, fleet.ts)
    assert np.array_equal(total, fleet.series("checkout").buckets[:, -1])
    assert store.read_sli_samples("checkout/typo", 0, AT)[0].size == 0


def test_second_collector_gets_a_clear_lock_message_and_writes_nothing(
    prometheus_with, fleet_text, store_url, store, tmp_path
):
    server = prometheus_with(fleet_text)
    env = cli_env(tmp_path / "var", server.url, database_url=store_url)
    with store.lock(LOCK_NAME, "collector-host:4242"):
        done = run_sloboard(["collect", "--since", "1d", "--until", str(AT)], env, tmp_path)

    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "collector lock held by collector-host:4242" in line
    assert store.runs() == [] and store.slo_rows() == []
    assert store.series_keys("golden") == [] and store.deployments() == []
    assert store.watermark("sli:checkout/availability") is None
