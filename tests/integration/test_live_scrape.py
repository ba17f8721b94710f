"""A live Prometheus scraping an exporter on loopback: real scrape timing, not backfill.

The exporter counts requests (Poisson, in a thread), serves them as
``http_requests_total{code}`` and logs every value it served, with the count of events
ever, which never resets. Half-way its process "restarts": its counters start again at 0
right after a scrape. `sloboard collect` then runs as a user runs it, and every step's
counts must equal the exporter's own events between the samples that the step ends
see: the last sample at or before each step end, by the timestamps Prometheus stored.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from sloboard.store import Store

from . import prom
from .scrapes import availability_spec
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP, LOOKBACK, SCRAPE = 5, 15, 1  # seconds: small, so that a minute of wall time holds 12 steps
RUN_S = 65

class Exporter:
    """Counters that a thread increments and an HTTP handler serves, with a log of each scrape."""

    def __init__(self, seed: int = 1):
        self.lock = threading.Lock()
        self.value = {"200": 0, "500": 0}  # what /metrics shows: resets with the process
        self.ever = {"200": 0, "500": 0}  # every event since the test began
        self.served: list[dict[str, int]] = []  # per scrape: ever-counts at the moment served
        self.reset_after_scrape: int | None = None
        self._rng = np.random.default_rng(seed)
        self._stop = threading.Event()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                with exporter.lock:
                    body = "".join(f'http_requests_total{{code="{c}"}} {v}\n' for c, v in exporter.value.items())
                    exporter.served.append(dict(exporter.ever))
                    if len(exporter.served) == exporter.reset_after_scrape:
                        exporter.value = {c: 0 for c in exporter.value}  # the restart, just after a scrape
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._traffic, daemon=True).start()

    def _traffic(self) -> None:
        while not self._stop.wait(0.01):
            ok, failed = self._rng.poisson(2.0), self._rng.poisson(0.1)
            with self.lock:
                for code, n in (("200", ok), ("500", failed)):
                    self.value[code] += int(n)
                    self.ever[code] += int(n)

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()


def _raw_samples(url: str, at: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every stored sample of the exporter's counters, by code: (timestamps, values)."""
    query = urllib.parse.urlencode({"query": 'http_requests_total{job="app"}[10m]', "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as answer:
        result = json.load(answer)["data"]["result"]
    return {r["metric"]["code"]: (np.array([float(t) for t, _ in r["values"]]),
                                  np.array([float(v) for _, v in r["values"]])) for r in result}


def test_live_scrapes_are_counted_to_the_event_at_every_step(prometheus_binaries, tmp_path):
    exporter = Exporter()
    exporter.reset_after_scrape = RUN_S // (2 * SCRAPE)
    config = (f"global:\n  scrape_interval: {SCRAPE}s\n  scrape_timeout: {SCRAPE}s\n"
              f"scrape_configs:\n  - job_name: app\n    static_configs:\n"
              f"      - targets: ['127.0.0.1:{exporter.port}']\n")
    server = prom.PrometheusServer(prometheus_binaries.prometheus, tmp_path / "data", config=config)
    server.start()
    try:
        began = time.time()
        time.sleep(RUN_S)
        until = int(time.time() - 2 * SCRAPE) // STEP * STEP  # every scrape before it is stored
        samples = _raw_samples(server.url, until + 30)
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "app.yaml").write_text(availability_spec("app", 'job="app"', "1h", 0.9))
        env = cli_env(tmp_path / "var", server.url, specs_dir=specs, collect__step_s=str(STEP),
                      collect__lookback=f"{LOOKBACK}s")
        collect = run_sloboard(["collect", "--since", f"{RUN_S + 60}s", "--until", str(until)], env, tmp_path)
        assert collect.returncode == 0, collect.stderr
        with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}", upgrade=False) as store:
            ts, good, total = store.read_sli_samples("app/availability", 0, until)
    finally:
        server.stop()
        exporter.close()
    samples = {code: (t[t <= until], v[t <= until]) for code, (t, v) in samples.items()}

    # Prometheus stored one sample per scrape, each the value the exporter served then.
    ts_ok, values_ok = samples["200"]
    assert ts_ok.size >= RUN_S // (2 * SCRAPE)  # Prometheus takes a few seconds to begin
    served = exporter.served[: ts_ok.size]
    reset = exporter.reset_after_scrape
    shown = np.array([s["200"] for s in served]) - np.where(np.arange(ts_ok.size) >= reset, served[reset - 1]["200"], 0)
    np.testing.assert_array_equal(values_ok, shown)
    assert (np.diff(values_ok) < 0).sum() == 1  # the reset is in the data

    # The truth per step: events between the last samples at or before the two step ends.
    ever = {code: np.array([s[code] for s in served]) for code in ("200", "500")}
    step_ends = np.arange(int(began) // STEP * STEP + STEP, until + 1, STEP)

    def at(t):
        idx = np.searchsorted(ts_ok, t, side="right") - 1
        return np.where((idx >= 0) & (t - ts_ok[np.maximum(idx, 0)] < LOOKBACK), idx, -1)

    now, before = at(step_ends), at(step_ends - STEP)
    counted = (now >= 0) & (before >= 0)
    want = {code: (e[now] - e[before])[counted] for code, e in ever.items()}
    assert counted.sum() >= 10
    np.testing.assert_array_equal(ts, step_ends[counted])
    np.testing.assert_array_equal(total, want["200"] + want["500"])
    np.testing.assert_array_equal(good, want["200"])
