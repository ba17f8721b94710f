"""SLO detail, deployments, service and cost pages in a real Chromium over the demo fleet:
every number checked against ``status_report`` or the fleet's own plan, at one pinned instant."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .browser import (  # noqa: F401 (chrome and demo are fixtures)
    DEMO_BUDGETS,
    DEMO_END,
    chrome,
    demo,
    demo_fleet,
    demo_specs,
    export_csv,
    screenshot,
    severe_console_messages,
    table_rows,
    wait_until,
)

pytestmark = pytest.mark.integration
DAY = 86_400


def deploys_of(service: str | None, days: int):
    start = DEMO_END - days * DAY
    return [d for d in demo_fleet().deployments
            if (service is None or d.service == service) and start < d.started_at.timestamp() <= DEMO_END]


def tile_lines(chrome, tile_id: str) -> list[str]:
    return wait_until(lambda: chrome.find_element("id", tile_id).text.splitlines(), what=tile_id)


def plot_data(chrome, graph_id: str) -> list[dict]:
    """The traces plotly drew in one dcc.Graph: name, and the y values."""
    return wait_until(lambda: chrome.execute_script(
        """
        const plot = document.querySelector(`#${arguments[0]} .js-plotly-plot`);
        // _fullData holds the decoded arrays (plotly.py sends numpy arrays base64-encoded).
        return plot && plot._fullData ? plot._fullData.map(t => ({name: t.name, y: Array.from(t.y)})) : null;
        """, graph_id), what=f"the chart {graph_id}")


def pct(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}%"


@pytest.mark.parametrize("slo_id", ["checkout/availability", "search/latency"])
def test_slo_detail_shows_the_status_and_history_of_that_slo(chrome, demo, slo_id):
    status = next(s for s in demo.report["slos"] if s["id"] == slo_id)
    spec = next(s for s in demo_specs() if s.id == slo_id)
    chrome.get(f"{demo.server.url}/slo/{slo_id}")

    assert tile_lines(chrome, "tile-sli")[1] == pct(status["sli"], 3)
    assert tile_lines(chrome, "tile-budget")[1] == pct(status["budget_remaining"], 1)
    exhausted = tile_lines(chrome, "tile-forecast")[1]
    assert (exhausted == "exhausted") == (status["budget_remaining"] <= 0)

    alerts = table_rows(chrome, "slo-alerts-table")
    assert [a["windows"] for a in alerts] == [f"{a['long']} / {a['short']}" for a in status["alerts"]]
    assert [a["state"] == "✕ firing" for a in alerts] == [a["firing"] for a in status["alerts"]]
    assert [a["long_rate"] for a in alerts] == [f"{a['long_burn_rate']:.2f}×" for a in status["alerts"]]

    burndown = plot_data(chrome, "slo-burndown")
    remaining_line = next(t for t in burndown if t["name"] == "budget remaining")
    assert remaining_line["y"][-1] == pytest.approx(status["budget_remaining"] * 100, rel=1e-9)
    for n, alert in enumerate(status["alerts"]):
        traces = plot_data(chrome, f"slo-burn-{n}")
        assert {t["name"] for t in traces} >= {f"{alert['long']} window", f"{alert['short']} window"}

    deploys = deploys_of(spec.service, 7)
    rows = table_rows(chrome, "slo-deploys-table")
    assert sorted(r["version"] for r in rows) == sorted(d.version for d in deploys)
    ranked = [r for r in rows if r["rank"]]
    if ranked:
        top = next(r for r in ranked if r["rank"] == "#1")
        assert float(top["consumed"].rstrip("%")) == max(float(r["consumed"].rstrip("%")) for r in ranked)

    assert chrome.find_element("id", "slo-spec").text.strip() == spec.spec_text.strip()
    meta = chrome.find_element("id", "slo-spec-meta").text
    assert spec.source.path in meta and "version 1 of 1" in meta
    policy = {"ok": "✓ OK", "warn": "▲ Low budget", "freeze": "✕ Freeze"}[status["policy"]]
    assert chrome.find_element("id", "slo-policy").text.startswith(policy)
    assert severe_console_messages(chrome) == []
    screenshot(chrome, f"slo-{slo_id.replace('/', '-')}")


def test_slo_detail_time_range_changes_the_deployments_listed(chrome, demo):
    chrome.get(f"{demo.server.url}/slo/checkout/latency?range=30d")
    wait_until(lambda: len(table_rows(chrome, "slo-deploys-table")) == min(len(deploys_of("checkout", 30)), 25),
               what="30 days of checkout deployments")
    chrome.find_element("xpath", "//label[normalize-space()='24h']").click()
    expected = deploys_of("checkout", 1)
    if expected:
        wait_until(lambda: sorted(r["version"] for r in table_rows(chrome, "slo-deploys-table"))
                   == sorted(d.version for d in expected), what="one day of deployments")
    else:
        wait_until(lambda: chrome.find_element("id", "slo-deploys-table-empty"), what="the empty state")
    assert severe_console_messages(chrome) == []


def known_links(chrome, element_id: str) -> dict[str, str]:
    """The links a not-found state lists: text -> path."""
    wait_until(lambda: chrome.find_element("id", element_id), what=element_id)
    return {a.text: urlparse(a.get_attribute("href")).path
            for a in chrome.find_elements("css selector", f"#{element_id} a")}


def test_unknown_slo_says_which_exist(chrome, demo):
    chrome.get(f"{demo.server.url}/slo/nope/missing")
    text = wait_until(lambda: chrome.find_element("id", "slo-unknown").text, what="the unknown-SLO message")
    assert "No SLO with id 'nope/missing'" in text
    assert known_links(chrome, "slo-unknown") == {s["id"]: f"/slo/{s['id']}" for s in demo.report["slos"]}
    assert severe_console_messages(chrome) == []


def test_unknown_service_is_not_found_and_lists_the_known_services(chrome, demo):
    chrome.get(f"{demo.server.url}/service/nope")
    assert wait_until(lambda: chrome.find_element("css selector", "h1").text, what="a heading") == "Unknown service"
    assert "No service named 'nope'" in chrome.find_element("id", "service-unknown").text
    assert known_links(chrome, "service-unknown") == {s: f"/service/{s}" for s in ("checkout", "payments", "search")}
    assert chrome.find_elements("id", "service-body") == [], "no empty service page under the message"
    assert chrome.title == "Unknown service · sloboard"
    chrome.find_element("link text", "payments").click()
    wait_until(lambda: chrome.find_element("css selector", "h1").text == "Service payments", what="the payments page")
    assert severe_console_messages(chrome) == []


@pytest.mark.parametrize(
    ("query", "service", "window", "days"),
    [
        pytest.param("", None, "7d", 7, id="all services over the default week"),
        pytest.param("?service=search&range=30d", "search", "30d", 30, id="one service over 30 days"),
    ],
)
def test_deployments_page_shows_dora_from_the_status_report(chrome, demo, query, service, window, days):
    entry = next(e for e in demo.report["dora"] if e["service"] == (service or "*") and e["window"] == window)
    chrome.get(f"{demo.server.url}/deployments{query}")

    assert tile_lines(chrome, "tile-deploys")[1] == str(entry["deployments"])
    assert tile_lines(chrome, "tile-cfr")[1] == pct(entry["change_failure_rate"], 1)
    assert tile_lines(chrome, "tile-frequency")[1] == f"{entry['deployment_frequency_per_day']:.2f}/day"
    expected = deploys_of(service, days)
    assert len(expected) == entry["deployments"]  # the status report and the fleet's plan agree
    exported = export_csv(chrome, "deployments-table", chrome.downloads)
    assert sorted((r["Service"], r["Version"]) for r in exported) == sorted((d.service, d.version) for d in expected)
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "deployments" + ("-" + service if service else ""))


def test_service_page_shows_golden_signals_slos_and_deploys(chrome, demo):
    chrome.get(f"{demo.server.url}/service/checkout")
    for name in ("latency", "traffic", "errors", "saturation"):
        traces = plot_data(chrome, f"service-{name}")
        assert traces and any(len(t["y"]) > 100 for t in traces), name
    rows = table_rows(chrome, "service-slo-table")
    expected = {s["id"]: s for s in demo.report["slos"] if s["service"] == "checkout"}
    assert {r["slo"] for r in rows} == set(expected)
    for row in rows:
        assert row["sli"] == pct(expected[row["slo"]]["sli"], 3)
    entry = next(e for e in demo.report["dora"] if e["service"] == "checkout" and e["window"] == "7d")
    assert tile_lines(chrome, "tile-deploys")[1] == str(entry["deployments"])
    assert len(table_rows(chrome, "service-deploys-table")) == len(deploys_of("checkout", 7))
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "service-checkout")


@pytest.mark.parametrize(
    ("query", "scope", "state"),
    [
        pytest.param("", "total", "within budget", id="the total"),
        pytest.param("?service=checkout", "service:checkout", "near budget", id="a service near its budget"),
        pytest.param("?team=payments", "team:payments", "forecast over budget", id="a team over its forecast"),
    ],
)
def test_cost_page_shows_spend_and_budget_from_the_status_report(chrome, demo, query, scope, state):
    month = next(e for e in demo.report["cost"] if e["scope"] == scope and e["window"] == "month")
    chrome.get(f"{demo.server.url}/cost{query}")

    assert tile_lines(chrome, "tile-mtd")[1] == f"${month['usd']:,.2f}"
    assert tile_lines(chrome, "tile-forecast")[1] == f"${month['forecast_usd']:,.2f}"
    assert tile_lines(chrome, "tile-cost-budget")[1] == f"${DEMO_BUDGETS[scope]:,.2f}"
    rows = {r["scope"]: r for r in table_rows(chrome, "cost-table")}
    assert rows[scope]["state"].endswith(state)
    for window in ("1d", "7d", "30d"):
        entry = next(e for e in demo.report["cost"] if e["scope"] == scope and e["window"] == window)
        assert rows[scope][f"usd_{window}"] == f"${entry['usd']:,.2f}"
    exported = export_csv(chrome, "cost-table", chrome.downloads)
    assert [r["Scope"] for r in exported] == list(rows)
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "cost" + ("-" + scope.replace(":", "-") if query else ""))
