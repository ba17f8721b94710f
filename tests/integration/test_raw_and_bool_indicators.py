"""Raw-ratio and bool-gauge indicators, collected from a real Prometheus as a user runs sloboard.

- A Pyrra ``bool_gauge`` on ``probe_success``: three probes scraped every 15 s, two at an
  offset with +-2 s jitter and one exactly on the grid (so every fourth sample lies on a
  step end and must count in one step only), with failures (0s) scattered and in a burst.
  The truth counts the generated samples per step: total = samples in ``(T - 60, T]``,
  good = those equal to 1.
- An OpenSLO ``ratioMetric.raw`` (``rawType: success``) on a recording-rule-like series
  ``slo:sli_ratio`` sampled every 30 s at an offset, with values above 1 and a 20-minute
  gap. The truth is, per step end T, the last sample at or before T within Prometheus's
  5-minute lookback, clipped to [0, 1]; no sample is no data.
- A Sloth ``sli.raw.error_ratio_query`` of ``rate(...[{{.window}}])`` over counters scraped
  every 30 s at an offset: the truth is each step's bad events over its events
  (``scrapes.step_truth``), never a sampled rate.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from sloboard.store import Store

from . import prom, scrapes
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP, LOOKBACK = 60, 300
HOUR, DAY = 3600, 86400
AT = int(datetime(2026, 3, 3, tzinfo=timezone.utc).timestamp())
START = AT - 2 * DAY
WINDOWS = {"1h": HOUR, "6h": 6 * HOUR, "1d": DAY}
STEP_ENDS = np.arange(START + STEP, AT + 1, STEP)

PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: blackbox-probe
  namespace: monitoring
  labels:
    prometheus: k8s
    role: alert-rules
  annotations:
    sloboard.dev/alert-windows: page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 1d/6h
spec:
  target: "99"
  window: 1d
  description: The probes of the public site succeed.
  indicator:
    bool_gauge:
      metric: probe_success{job="blackbox"}
"""

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: quality
  annotations:
    sloboard.dev/alert-windows: page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 1d/6h
spec:
  service: search
  indicator:
    metadata:
      name: search-quality-ratio
    spec:
      ratioMetric:
        rawType: success
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: slo:sli_ratio{service="search"}
  timeWindow:
    - duration: 1d
      isRolling: true
  budgetingMethod: RatioTimeslices
  objectives:
    - target: 0.95
      timeSliceWindow: 1m
"""

SLOTH = """\
version: "prometheus/v1"
service: "checkout"
slos:
  - name: "errors-raw"
    objective: 99
    sli:
      raw:
        error_ratio_query: |
          sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))
          /
          sum(rate(http_requests_total{service="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutErrors
"""


def probes(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(instance, sample times, 0/1 values) of three probes; the last one on the step grid."""
    out = []
    for instance, offset, jitter in (("site-a", 4.321, 2.0), ("site-b", 11.07, 2.0), ("grid", 0.0, 0.0)):
        ticks = START + np.arange(offset, 2 * DAY, 15.0)
        ts = np.round(ticks + rng.uniform(-jitter, jitter, ticks.size), 3)
        ts = ts[(ts > START) & (ts < AT)]
        values = (rng.random(ts.size) > 0.03).astype(np.float64)
        burst = (ts > AT - 5 * HOUR) & (ts < AT - 5 * HOUR + 900)  # a 15-minute outage
        values[burst] = 0.0
        out.append((instance, ts, values))
    assert np.isin(out[-1][1], STEP_ENDS).sum() > 1000  # samples on step ends to count once
    return out


def ratio_gauge(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ticks = START + np.arange(13.37, 2 * DAY, 30.0)
    ts = np.round(ticks + rng.uniform(-1, 1, ticks.size), 3)
    ts = np.where(ts % 1 == 0, ts + 0.001, ts)  # never on a whole second, so never on the lookback's edge
    ts = ts[(ts > START) & (ts < AT) & ~((ts > AT - 9 * HOUR) & (ts < AT - 9 * HOUR + 1200))]
    values = np.round(rng.uniform(0.9, 1.0, ts.size), 4)
    values[rng.random(ts.size) < 0.01] = 1.02  # a recording rule's rounding can overshoot
    return ts, values


def samples_in_steps(ts: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(samples equal to 1, samples) in each step (T - 60, T]."""
    upto = lambda t, v: np.concatenate([[0], np.cumsum(v)])[np.searchsorted(ts, t, side="right")]  # noqa: E731
    ones = (values == 1).astype(np.int64)
    return (upto(STEP_ENDS, ones) - upto(STEP_ENDS - STEP, ones),
            upto(STEP_ENDS, np.ones_like(ones)) - upto(STEP_ENDS - STEP, np.ones_like(ones)))


def last_in_lookback(ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per step end, the last sample's value within the lookback, clipped; NaN without one."""
    idx = np.searchsorted(ts, STEP_ENDS, side="right") - 1
    found = (idx >= 0) & (STEP_ENDS - ts[np.maximum(idx, 0)] <= LOOKBACK)
    return np.where(found, np.clip(values[np.maximum(idx, 0)], 0, 1), np.nan)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    gauges = probes(rng)
    ratio = ratio_gauge(rng)
    counters = scrapes.scrape(scrapes.Target("checkout", "a:8080", 30, 21.7, rates=(20.0, 0.4)), START, AT, seed=3)
    series = [prom.MetricSeries("probe_success", {"job": "blackbox", "instance": i}, ts.tolist(), v.tolist())
              for i, ts, v in gauges]
    series.append(prom.MetricSeries("slo:sli_ratio", {"service": "search"}, ratio[0].tolist(), ratio[1].tolist()))
    series += scrapes.metric_series(counters)
    return gauges, ratio, counters, series


@pytest.fixture(scope="module")
def collected(prometheus_with, data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("raw-and-bool")
    server = prometheus_with(data[3])
    specs = tmp / "specs"
    specs.mkdir()
    (specs / "probe.yaml").write_text(PYRRA)
    (specs / "quality.yaml").write_text(OPENSLO)
    (specs / "checkout.yml").write_text(SLOTH)
    env = cli_env(tmp / "var", server.url, specs_dir=specs)
    collect = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, tmp)
    assert collect.returncode == 0, collect.stderr
    status = run_sloboard(["status", "--json", "--at", str(AT)], env, tmp)
    assert status.returncode == 0, status.stderr
    by_id = {entry["id"]: entry for entry in json.loads(status.stdout)["slos"]}
    with Store.open(f"sqlite:///{tmp / 'var' / 'sloboard.db'}", upgrade=False) as store:
        stored = {slo_id: {label: store.read_sli_samples(slo_id, AT - length, AT) for label, length in WINDOWS.items()}
                  for slo_id in by_id}
    return by_id, stored


def test_a_bool_gauge_counts_every_sample_once_and_its_ones_as_good(data, collected):
    by_id, stored = collected
    per_probe = [samples_in_steps(ts, v) for _, ts, v in data[0]]
    good, total = sum(p[0] for p in per_probe), sum(p[1] for p in per_probe)
    for label, length in WINDOWS.items():
        keep = STEP_ENDS > AT - length
        _, got_good, got_total = stored["blackbox/blackbox-probe"][label]
        assert (got_good.sum(), got_total.sum()) == (good[keep].sum(), total[keep].sum()), label
        entry = by_id["blackbox/blackbox-probe"]
        burn = (1 - good[keep].sum() / total[keep].sum()) / (1 - 0.99)
        assert entry["burn_rates"][label] == pytest.approx(burn, rel=1e-12), label
    keep = STEP_ENDS > AT - DAY
    assert (by_id["blackbox/blackbox-probe"]["good"], by_id["blackbox/blackbox-probe"]["total"]) == (
        good[keep].sum(), total[keep].sum())
    assert good[keep].sum() < total[keep].sum()  # failures to count


def test_an_openslo_raw_success_ratio_is_the_mean_of_its_value_at_each_step_end(data, collected):
    by_id, stored = collected
    truth = last_in_lookback(*data[1])
    assert np.isnan(truth[STEP_ENDS > AT - 9 * HOUR][:20]).sum() >= 10  # the gap is no data
    for label, length in WINDOWS.items():
        window = truth[STEP_ENDS > AT - length]
        ts, got_good, got_total = stored["search/quality"][label]
        assert got_total.sum() == (~np.isnan(window)).sum(), label
        assert got_good.sum() == pytest.approx(np.nansum(window), rel=1e-12), label
        assert set(got_total) == {1.0}
        burn = (1 - np.nanmean(window)) / (1 - 0.95)
        assert by_id["search/quality"]["burn_rates"][label] == pytest.approx(burn, rel=1e-9), label
    assert by_id["search/quality"]["sli"] == pytest.approx(np.nanmean(truth[STEP_ENDS > AT - DAY]), rel=1e-12)


def test_a_sloth_raw_error_ratio_over_window_rates_is_exact_per_step(data, collected):
    _, stored = collected
    counters = data[2]
    bad = scrapes.step_truth(counters, "500", STEP_ENDS, STEP, LOOKBACK)
    events = bad + scrapes.step_truth(counters, "200", STEP_ENDS, STEP, LOOKBACK)
    for label, length in WINDOWS.items():
        keep = STEP_ENDS > AT - length
        ratio = bad[keep] / events[keep]
        _, got_good, got_total = stored["checkout/errors-raw"][label]
        assert got_total.sum() == keep.sum() and (events[keep] > 0).all(), label
        assert got_good.sum() == pytest.approx((1 - ratio).sum(), rel=1e-12), label
        assert ratio.mean() > 0.01  # errors to count
