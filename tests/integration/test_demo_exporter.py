"""`sloboard demo exporter` scraped live by a real Prometheus, then `sloboard collect`.

The exporter runs as a user runs it (a subprocess of the console entry point). Its
values are a pure function of its start (``process_start_time_seconds``), step, seed
and the time, so the test recomputes what it served at each sample Prometheus stored;
then every collected step of checkout's availability SLO must equal the requests
between the last samples at or before its two step ends, and the demo specs' other
queries (latency, golden signals, deployments, cost) must all succeed on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from collectors.live_exporter import LiveFleet
from collectors.synthetic import DEMO_SERVICES
from sloboard.store import Store

from . import prom
from .sloboard_cli import REPO, cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP, LOOKBACK, SCRAPE = 5, 15, 1  # seconds: a minute of wall time holds 12 collection steps
RUN_S = 65
SEED = 5


def _start_exporter(port: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from sloboard.cli import main; main()", "demo", "exporter",
         "--port", str(port), "--step", "1", "--seed", str(SEED)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
                return proc, answer.read().decode()
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(f"the exporter exited: {proc.stderr.read()}")
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the exporter did not answer /metrics within 30 s")


def _raw_samples(url: str, selector: str, at: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every stored sample of ``selector``, by ``code``: (timestamps, values)."""
    query = urllib.parse.urlencode({"query": f"{selector}[10m]", "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as answer:
        result = json.load(answer)["data"]["result"]
    return {r["metric"]["code"]: (np.array([float(t) for t, _ in r["values"]]),
                                  np.array([float(v) for _, v in r["values"]])) for r in result}


def test_prometheus_scrapes_the_demo_exporter_live_and_collect_counts_what_it_served(prometheus_binaries, tmp_path):
    port = prom.free_port()
    env = cli_env(tmp_path / "var", "http://127.0.0.1:1", collect__step_s=str(STEP), collect__lookback=f"{LOOKBACK}s")
    exporter, first = _start_exporter(port, env)
    config = (f"global:\n  scrape_interval: {SCRAPE}s\n  scrape_timeout: {SCRAPE}s\n"
              f"scrape_configs:\n  - job_name: fleet\n    static_configs:\n"
              f"      - targets: ['127.0.0.1:{port}']\n")
    server = prom.PrometheusServer(prometheus_binaries.prometheus, tmp_path / "data", config=config)
    try:
        server.start()
        time.sleep(RUN_S)
        until = int(time.time() - 2 * SCRAPE) // STEP * STEP  # every scrape before it is stored
        samples = _raw_samples(server.url, 'http_requests_total{job="fleet",service="checkout"}', until + 30)
        env["SLOBOARD_PROMETHEUS_URL"] = server.url
        collect = run_sloboard(["collect", "--since", f"{RUN_S + 60}s", "--until", str(until)], env, tmp_path)
        with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}", upgrade=False) as store:
            ts, good, total = store.read_sli_samples("checkout/availability", 0, until)
            latency = store.read_sli_samples("checkout/latency", 0, until)
    finally:
        server.stop()
        exporter.terminate()
        exporter.wait(timeout=10)
    assert collect.returncode == 0, collect.stderr
    assert collect.stdout.rstrip().endswith("; 0 failed"), collect.stdout
    # Every query of the demo specs and the shipped queries found data: no warnings.
    assert "warning" not in collect.stderr and "failed" not in collect.stderr, collect.stderr

    # What the exporter served at each stored sample is what its generator gives for that
    # time (or a second later: the exporter answers a moment after Prometheus stamps the scrape).
    origin = int(next(line.split()[1] for line in first.splitlines() if line.startswith("process_start_time_seconds")))
    fleet = LiveFleet(DEMO_SERVICES, origin, step_s=1, seed=SEED)

    def generated(t: float) -> dict[str, float]:
        return {labels["code"]: float(v) for name, labels, v in fleet.samples(t)
                if name == "http_requests_total" and labels["service"] == "checkout"}

    samples = {code: (t[t <= until], v[t <= until]) for code, (t, v) in samples.items()}
    stamps = samples["200"][0]
    assert stamps.size >= RUN_S // (2 * SCRAPE)
    exact = 0
    for i, stamp in enumerate(stamps):
        served = {code: v[i] for code, (_, v) in samples.items()}
        assert served in (generated(stamp), generated(stamp + 1)), f"sample at {stamp}"
        exact += served == generated(stamp)
    assert exact >= stamps.size * 0.8
    assert samples["200"][1][-1] > samples["200"][1][0] > 0  # the counters grew with wall time

    # Each collected step: the requests between the last samples at or before its two ends.
    def at(t):
        idx = np.searchsorted(stamps, t, side="right") - 1
        return np.where((idx >= 0) & (t - stamps[np.maximum(idx, 0)] < LOOKBACK), idx, -1)

    step_ends = np.arange(int(stamps[0]) // STEP * STEP + STEP, until + 1, STEP)
    now, before = at(step_ends), at(step_ends - STEP)
    counted = (now >= 0) & (before >= 0)
    per_code = {code: (v[now] - v[before])[counted] for code, (_, v) in samples.items()}
    assert counted.sum() >= 10
    np.testing.assert_array_equal(ts, step_ends[counted])
    np.testing.assert_array_equal(total, sum(per_code.values()))
    np.testing.assert_array_equal(good, total - per_code["500"] - per_code["503"])
    assert total.sum() > 0
    assert latency[0].size == ts.size and (latency[1] <= latency[2]).all() and latency[2].sum() == total.sum()


def test_promtool_accepts_the_exporters_text(prometheus_binaries):
    text = LiveFleet(DEMO_SERVICES, 1_764_000_000, step_s=1, seed=SEED).exposition(1_764_000_000 + 90)
    checked = subprocess.run([prometheus_binaries.promtool, "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""  # not even a lint warning
