"""Prometheus down for 10 minutes of the collector's clock.

A real Prometheus is stopped after a healthy pass; ten scheduled passes (one a minute of
the collector's clock) then fail cleanly: a failed run per query naming the refused
connection, every watermark kept. Meanwhile the dashboard, loaded as a browser loads it
(the page, its layout and every callback that fires on load, through the Flask test
client), keeps serving the stored SLOs under the stale banner. Prometheus comes back
and the next pass catches up: every step once, the rows of an outage-free store.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.dashboard import flask_client, load_page
from dashboard.app import create_app
from sloboard.store import Store

from . import fleet

pytestmark = pytest.mark.integration

T0 = fleet.AT - 30 * 60  # the last healthy pass
OUTAGE_MIN = 10
SINCE_S = fleet.DAY
SLO_IDS = ("checkout/availability", "search/availability")


def _settings(prometheus, url, folder, specs):
    # Quick retries: a refused connection fails each query within 0.1 s.
    settings = fleet.settings_for(prometheus.url, url, folder, specs)
    return settings.model_copy(update={"prometheus": settings.prometheus.model_copy(update={"retry_max_s": 0.1})})


def _pass(settings, store, until):
    return fleet.collect(settings, store, until=until, since_s=SINCE_S)


def _banner(page) -> str:
    """The stale banner's text as the browser would show it ('' when there is none)."""
    def text(node) -> str:
        if isinstance(node, list):
            return "".join(map(text, node))
        if isinstance(node, dict):
            return text(node.get("props", {}).get("children"))
        return "" if node is None else str(node)

    return text(page.props["banner"].get("children"))


def test_prometheus_down_ten_minutes_dashboard_serves_stale_then_collection_catches_up(
    prometheus_with, tmp_path, figure
):
    server = prometheus_with(fleet.openmetrics(fleet.AT - 2 * fleet.DAY), private=True)
    specs = fleet.write_specs(tmp_path / "specs")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = _settings(server, url, tmp_path, specs)
    now = [float(T0)]
    with Store.open(url) as store:
        assert _pass(settings, store, T0).failed == []
        client = flask_client(create_app(settings, store=store, clock=lambda: now[0]))
        _, page = load_page(*client, "/")
        assert _banner(page) == "", "stale before the outage"

        server.stop()
        marks = dict(fleet.store_rows(url).watermarks)
        banners = []
        for minute in range(1, OUTAGE_MIN + 1):
            now[0] = T0 + 60 * minute
            summary = _pass(settings, store, int(now[0]))
            assert summary.results and len(summary.failed) == len(summary.results)
            assert all("Connection refused" in r.error for r in summary.failed), summary.failed
            assert dict(fleet.store_rows(url).watermarks) == marks, "a failed pass moved a watermark"
            _, page = load_page(*client, "/")  # raises on any answer but 200/204
            body = str(page.props["overview-body"]["children"])
            assert all(slo_id in body for slo_id in SLO_IDS), "the stored SLOs are no longer shown"
            banners.append(_banner(page))
        failed_runs = [r for r in store.runs(limit=1000) if r.status == "failed"]

        server.start()
        until = T0 + 60 * (OUTAGE_MIN + 1)
        now[0] = until
        assert _pass(settings, store, until).failed == []
        _, page = load_page(*client, "/")
        after = _banner(page)

    figure("failed runs recorded during the outage", len(failed_runs))
    figure("stale banner at minute 1", banners[0])
    figure("stale banner at minute 10", banners[-1])
    assert all(b.startswith("⚠ Data may be stale.") for b in banners), banners
    assert "failed" in banners[0] and "old" in banners[-1], banners
    assert len(failed_runs) == OUTAGE_MIN * len(summary.results)
    assert after == "", f"still stale after the catch-up: {after}"
    first = (T0 - SINCE_S) // fleet.STEP * fleet.STEP + fleet.STEP
    with Store.open(url) as store:
        for slo_id in SLO_IDS:  # no holes, no duplicates: every step of the day once
            ts, _good, _total = store.read_sli_samples(slo_id, 0, until)
            assert np.array_equal(ts, np.arange(first, until + 1, fleet.STEP)), slo_id

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = _settings(server, clean_url, tmp_path / "clean", specs)
    with Store.open(clean_url) as store:
        assert _pass(clean, store, T0).failed == [] and _pass(clean, store, until).failed == []
    assert fleet.store_rows(url).differences(fleet.store_rows(clean_url)) == []
