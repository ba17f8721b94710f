"""Collection health, "no data" states, and the plain HTTP routes (``/healthz``,
``/readyz``, ``/metrics``), over a small store whose every sample and run the test wrote."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

from dashboard.app import create_app
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store

from .browser import (  # noqa: F401 (chrome is a fixture)
    SPECS_DIR,
    DashboardServer,
    chrome,
    screenshot,
    severe_console_messages,
    table_rows,
    wait_until,
)

pytestmark = pytest.mark.integration
STEP = 60
AT = 1_800_000_000 // 86_400 * 86_400 + 10 * 3600
HOLE = (AT - 6 * 3600, AT - 6 * 3600 + 17 * STEP)  # 17 missing steps, six hours ago
BROKEN_SPEC = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: broken\nspec:\n  objective: high\n"


def copy_checkout_specs(specs_dir) -> None:
    """Checkout's SLOs and the Prometheus data source they refer to."""
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs_dir / name)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Checkout's two SLOs: availability has a day of samples with a hole, latency has none;
    one query's last run failed; one spec file in the folder is invalid."""
    specs_dir = tmp_path_factory.mktemp("specs")
    copy_checkout_specs(specs_dir)
    (specs_dir / "broken.yaml").write_text(BROKEN_SPEC)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), specs_dir=specs_dir)
    store = Store.open(f"sqlite:///{settings.data_dir / 'small.db'}", clock=lambda: AT - 30)
    store.sync_slos(load_specs([specs_dir]).slos)
    ts = np.arange(AT - 86_400 + STEP, AT + 1, STEP, dtype=np.int64)
    ts = ts[(ts <= HOLE[0]) | (ts > HOLE[1])]
    store.write_sli_samples("checkout/availability", ts, np.full(ts.size, 999.0), np.full(ts.size, 1000.0))
    ok = store.start_run("prometheus", "sli:checkout/availability", AT - 86_400, AT)
    store.finish_run(ok, status="ok", samples_written=int(ts.size))
    failed = store.start_run("prometheus", "sli:checkout/latency", AT - 86_400, AT)
    store.finish_run(failed, status="failed", samples_written=0, error="Prometheus rejected the query: parse error")
    server = DashboardServer.start(settings, store=store, clock=lambda: AT + 30)
    yield server, settings, store, ts
    server.stop()
    store.close()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_collection_page_shows_runs_gaps_and_spec_problems(chrome, small):
    server, settings, _, ts = small
    chrome.get(server.url + "/collection")
    runs = wait_until(lambda: table_rows(chrome, "collection-runs-table"), what="the runs table")
    by_query = {r["query"]: r for r in runs}
    assert by_query["sli:checkout/availability"]["status"] == "✓ ok"
    assert by_query["sli:checkout/availability"]["samples"] == str(ts.size)
    assert by_query["sli:checkout/latency"]["status"] == "✕ failed"
    assert "parse error" in by_query["sli:checkout/latency"]["error"]
    assert chrome.find_element("id", "tile-failing").text.splitlines()[1] == "1"

    gaps = wait_until(lambda: {r["slo"]: r for r in table_rows(chrome, "collection-gaps-table")}, what="gaps")
    # A 28-day window holds 40320 steps. The test wrote one day minus the hole, up to AT;
    # the 3 steps within collect.lag_s (120 s) + one step of AT are not due yet.
    not_due = (120 + STEP) // STEP
    assert gaps["checkout/availability"]["expected"] == str(40320 - not_due)
    assert gaps["checkout/availability"]["present"] == str(ts.size - not_due) == str(1440 - 17 - not_due)
    assert gaps["checkout/availability"]["missing"] == str(40320 - ts.size)
    assert gaps["checkout/latency"]["present"] == "0"
    assert gaps["checkout/latency"]["newest"] == "–"

    problems = table_rows(chrome, "collection-problems-table")
    assert problems and all(p["where"].startswith(str(settings.specs_dir / "broken.yaml")) for p in problems)
    assert chrome.find_element("id", "tile-specs").text.splitlines()[1] == str(len(problems))
    assert chrome.find_element("id", "tile-newest").text.splitlines()[1:4] == ["just now", "✓", "OK"]
    assert gaps["checkout/latency"]["longest_gap"] == "27d23h57m"  # the whole window, up to the due steps
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "collection-health")


def test_collection_page_shows_an_interrupted_run_apart_from_the_other_statuses(chrome, tmp_path):
    """A collector killed mid-run, and the next one taking the lock: the killed run reads
    "interrupted" in its own colour, icon and word, without a duration or a count, and the
    query counts as failing (its range was not written) until a pass resumes it."""
    specs_dir = tmp_path / "specs"
    specs_dir.mkdir()
    copy_checkout_specs(specs_dir)
    settings = Settings(data_dir=tmp_path, specs_dir=specs_dir)
    now = [AT - 600.0]
    store = Store.open(f"sqlite:///{tmp_path / 'runs.db'}", clock=lambda: now[0])
    store.sync_slos(load_specs([specs_dir]).slos)
    ts = np.arange(AT - 86_400 + STEP, AT + 1, STEP, dtype=np.int64)
    store.write_sli_samples("checkout/availability", ts, np.full(ts.size, 999.0), np.full(ts.size, 1000.0))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed, live = f"{socket.gethostname()}:{dead.pid}", f"{socket.gethostname()}:{os.getpid()}"
    held = store.collection_lock("collector", killed)
    held.__enter__()  # never exited: SIGKILLed below, mid-run
    for key, status, error in (("sli:checkout/latency", "ok", None),
                               ("golden:checkout:traffic", "incomplete", "Prometheus gave no data for 3 step(s)"),
                               ("golden:checkout:latency", "failed", "Prometheus rejected the query: parse error")):
        store.finish_run(store.start_run("prometheus", key, AT - 3600, AT), status=status, samples_written=60,
                         error=error)
    store.start_run("prometheus", "sli:checkout/availability", AT - 3600, AT)
    store.set_watermark("sli:checkout/availability", AT - 1800)  # half of its range written, then killed
    now[0] = AT - 300.0
    taker = store.collection_lock("collector", live)
    taker.__enter__()  # the next collector, still running its first target
    store.start_run("prometheus", "golden:checkout:errors", AT - 3600, AT)
    server = DashboardServer.start(settings, store=store, clock=lambda: AT + 30)
    try:
        chrome.get(server.url + "/collection")
        rows = wait_until(lambda: {r["query"]: r for r in table_rows(chrome, "collection-runs-table")},
                          what="the runs table")
        assert {q: r["status"] for q, r in rows.items()} == {
            "sli:checkout/availability": "⊘ interrupted", "sli:checkout/latency": "✓ ok",
            "golden:checkout:traffic": "⚠ incomplete", "golden:checkout:latency": "✕ failed",
            "golden:checkout:errors": "… running"}
        interrupted = rows["sli:checkout/availability"]
        assert (interrupted["duration_s"], interrupted["samples"]) == ("", "")
        assert interrupted["error"] == f"never finished: {live} took the collector lock from {killed} at 2027-01-15T09:55:00Z"
        colours = chrome.execute_script(
            """const out = {};
            document.querySelectorAll('#collection-runs-table tr').forEach(tr => {
              const query = tr.querySelector('td[data-dash-column="query"]');
              const status = tr.querySelector('td[data-dash-column="status"]');
              if (query && status) out[query.innerText.trim()] = getComputedStyle(status).backgroundColor;
            });
            return out;""")
        assert colours["sli:checkout/availability"] == "rgb(221, 244, 255)"  # --info-bg
        others = {q: c for q, c in colours.items() if q != "sli:checkout/availability"}
        assert len(others) == 4 and colours["sli:checkout/availability"] not in others.values()
        assert chrome.find_element("id", "tile-failing").text.splitlines()[1] == "2"  # failed, and cut short
        banner = wait_until(lambda: chrome.find_element("id", "stale-banner").text, what="the stale banner")
        assert "last run interrupted before its end for 1 query: sli:checkout/availability" in banner
        assert severe_console_messages(chrome) == []
        screenshot(chrome, "collection-interrupted-run")
    finally:
        server.stop()
        store.close()


@pytest.mark.parametrize(
    ("newest_behind_s", "hole_steps", "missing"),
    [
        pytest.param(120, 0, 0, id="samples up to the collection lag are complete"),
        pytest.param(0, 0, 0, id="samples up to now are complete"),
        pytest.param(120, 5, 5, id="a real hole an hour ago is counted"),
        pytest.param(600, 0, 7, id="a collector ten minutes behind misses the steps that are due"),
    ],
)
def test_missing_steps_do_not_count_steps_that_are_not_due(chrome, tmp_path, newest_behind_s, hole_steps, missing):
    """Right after a collection (lag 120 s), the newest steps are not missing: the tile says 0 and OK."""
    specs_dir = tmp_path / "specs"
    specs_dir.mkdir()
    copy_checkout_specs(specs_dir)
    settings = Settings(data_dir=tmp_path, specs_dir=specs_dir, collect={"lag_s": 120})
    slos = load_specs([specs_dir]).slos
    store = Store.open(f"sqlite:///{tmp_path / 'lag.db'}")
    store.sync_slos(slos)
    ts = np.arange(AT - 28 * 86_400 + STEP, AT - newest_behind_s + 1, STEP, dtype=np.int64)  # whole 28-day window
    ts = ts[(ts <= AT - 3600) | (ts > AT - 3600 + hole_steps * STEP)]
    for slo in slos:
        store.write_sli_samples(slo.id, ts, np.full(ts.size, 99.0), np.full(ts.size, 100.0))
    server = DashboardServer.start(settings, store=store, clock=lambda: AT + 30)
    try:
        chrome.get(server.url + "/collection")
        lines = wait_until(lambda: chrome.find_element("id", "tile-missing").text.splitlines(), what="missing tile")
        assert lines[1] == f"{missing * len(slos):,}"
        assert lines[3] == ("OK" if missing == 0 else "At risk")
        # The table may draw after the tiles (its markdown cells load a chunk of their own).
        gaps = wait_until(lambda: {r["slo"]: r for r in table_rows(chrome, "collection-gaps-table")}, what="gaps")
        assert {g["missing"] for g in gaps.values()} == {str(missing)}
        assert severe_console_messages(chrome) == []
        if newest_behind_s == 120 and not hole_steps:
            screenshot(chrome, "collection-health-after-collect")
    finally:
        server.stop()
        store.close()


def test_no_data_is_said_in_words_and_a_failed_run_raises_the_banner(chrome, small):
    server = small[0]
    chrome.get(server.url + "/")
    rows = wait_until(lambda: {r["slo"]: r for r in table_rows(chrome, "overview-table")}, what="the SLO table")
    latency = rows["checkout/latency"]
    assert latency["sli"] == "no data" and latency["budget_remaining"] == "no data"
    assert latency["policy"] == "? No data"
    assert rows["checkout/availability"]["sli"] == "99.900%"
    banner = wait_until(lambda: chrome.find_element("id", "stale-banner").text, what="the stale banner")
    assert "last run failed for 1 query: sli:checkout/latency" in banner
    # No deployment and no cost recorded: the tiles say so, and what to do, without empty trend rows.
    for tile_id, hint in (("tile-frequency", "sloboard deploy record"), ("tile-cfr", "no deployments recorded"),
                          ("tile-cost", "sloboard cost import")):
        text = chrome.find_element("id", tile_id).text
        assert text.splitlines()[1] == "no data" and hint in text, tile_id
        assert chrome.find_elements("id", f"{tile_id}-7d") == []
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "overview-no-data")

    chrome.get(server.url + "/slo/checkout/latency")
    for element_id in ("slo-sli-empty", "slo-burndown-empty"):
        empty = wait_until(lambda: chrome.find_element("id", element_id).text, what=element_id)
        assert "sloboard collect" in empty
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "slo-no-data")


def test_healthz_readyz_and_metrics(small):
    server = small[0]
    for _ in range(3):
        assert get(server.url + "/healthz") == (200, "text/plain; version=0.0.4; charset=utf-8", "ok\n")
    status, _, body = get(server.url + "/readyz")
    assert status == 200 and body.startswith("ready: 2 SLO(s)")

    status, content_type, text = get(server.url + "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    sample = re.compile(r'^[a-z_:][a-z0-9_:]*(\{([a-z_]+="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    # Exactly the three health checks above were counted (this module's server only).
    assert 'sloboard_http_request_duration_seconds_count{route="/healthz",method="GET",code="200"} 3' in text
    assert 'sloboard_http_request_duration_seconds_bucket{route="/healthz",method="GET",code="200",le="+Inf"} 3' in text
    assert 'sloboard_collector_recent_runs{collector="prometheus",status="failed"} 1' in text
    assert 'sloboard_collector_recent_runs{collector="prometheus",status="ok"} 1' in text
    assert 'sloboard_collector_last_run_ok{query="sli:checkout/latency"} 0' in text
    assert "sloboard_store_up 1" in text


def test_metrics_time_dash_callbacks(chrome, small):
    server = small[0]
    chrome.get(server.url + "/deployments")
    wait_until(lambda: chrome.find_elements("id", "tile-deploys"), what="the deployments page")
    _, _, text = get(server.url + "/metrics")
    assert re.search(r'sloboard_dash_callback_duration_seconds_count\{output="deployments-body\.children"\} [1-9]', text)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        pytest.param("no specs", "no valid SLO specs loaded from", id="no valid spec makes the app not ready"),
        pytest.param("empty database", "schema not created; run `sloboard db upgrade`", id="an unmigrated store is not ready"),
    ],
)
def test_readyz_is_503_with_the_reason(tmp_path, case, reason):
    specs_dir = tmp_path / "specs"
    specs_dir.mkdir()
    if case == "empty database":
        copy_checkout_specs(specs_dir)
    settings = Settings(data_dir=tmp_path, specs_dir=specs_dir)
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=(case != "empty database"))
    try:
        client = create_app(settings, store=store, clock=lambda: AT).server.test_client()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert reason in response.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200  # alive, only not ready
    finally:
        store.close()


def test_unknown_path_shows_the_not_found_page(chrome, small):
    chrome.get(small[0].url + "/no/such/page")
    heading = wait_until(lambda: chrome.find_element("css selector", "h1").text, what="a heading")
    assert heading == "Page not found"
    assert severe_console_messages(chrome) == []


def test_histogram_exposition_is_cumulative_and_escapes_labels():
    from dashboard.metrics import Histogram

    histogram = Histogram("t_seconds", "help", ("route",), buckets=(0.1, 1.0))
    for value in (0.05, 0.5, 0.5, 3.0):
        histogram.observe(value, 'a"b\\c\nd')
    lines = histogram.render()
    label = 'route="a\\"b\\\\c\\nd"'
    assert lines == [
        "# HELP t_seconds help",
        "# TYPE t_seconds histogram",
        f't_seconds_bucket{{{label},le="0.1"}} 1',
        f't_seconds_bucket{{{label},le="1"}} 3',
        f't_seconds_bucket{{{label},le="+Inf"}} 4',
        f"t_seconds_sum{{{label}}} 4.05",
        f"t_seconds_count{{{label}}} 4",
    ]
