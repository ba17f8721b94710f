"""The overview page in a real Chromium over the seeded demo fleet: the numbers equal
``status_report`` at the same instant, filters and the time range change what is shown
and live in the URL, the CSV export holds the rows shown, and nothing logs an error."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from sloboard.settings import Settings

from .browser import (  # noqa: F401 (chrome and demo are fixtures)
    DEMO_END,
    SPECS_DIR,
    DashboardServer,
    chrome,
    demo,
    demo_fleet,
    export_csv,
    screenshot,
    severe_console_messages,
    table_rows,
    wait_until,
)

pytestmark = pytest.mark.integration


def open_page(chrome, url: str) -> None:
    chrome.get(url)
    wait_until(lambda: chrome.find_elements("css selector", "#overview-table td, #overview-table-empty"),
               what="the SLO table")


def shown_ids(chrome) -> list[str]:
    return [row["slo"] for row in table_rows(chrome, "overview-table")]


def number(text: str) -> float:
    return float(text.replace("%", "").replace("×", "").replace("−", "-").replace(",", ""))


def assert_shown(text: str, value: float | None, digits: int) -> None:
    """The cell shows ``value`` rounded to ``digits`` decimals ("no data" for None)."""
    if value is None:
        assert text in ("no data", "–")
        return
    assert abs(number(text) - value) <= 0.5 * 10 ** -digits + 1e-9, (text, value)


def test_overview_numbers_equal_the_status_report(chrome, demo):
    server, report = demo.server, demo.report
    open_page(chrome, server.url + "/")
    rows = table_rows(chrome, "overview-table")

    expected = sorted(report["slos"], key=lambda s: (s["budget_remaining"] is None, s["budget_remaining"], s["id"]))
    assert [r["slo"] for r in rows] == [s["id"] for s in expected], "worst budget first"
    for row, slo in zip(rows, expected):
        assert_shown(row["sli"], slo["sli"] * 100, 3)
        assert_shown(row["budget_remaining"], slo["budget_remaining"] * 100, 1)
        assert_shown(row["objective"], slo["objective"] * 100, 2)
        assert row["window"] == slo["window"]
        for alert in slo["alerts"]:
            assert_shown(row[f"burn_{alert['long']}"], slo["burn_rates"][alert["long"]], 2)
        firing = any(a["firing"] for a in slo["alerts"])
        assert ("Quiet" in row["alerts"]) == (not firing)
        assert row["policy"].endswith({"ok": "OK", "warn": "Low budget", "freeze": "Freeze"}[slo["policy"]])

    meeting = sum(s["sli"] >= s["objective"] for s in report["slos"])
    tile = chrome.find_element("id", "tile-meeting").text
    assert f"{meeting} / {len(report['slos'])}" in tile
    # The colour is never the only signal: the tile also says it in words.
    assert ("Breached" in tile) == (meeting < len(report["slos"]))
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "overview")


def test_csv_export_holds_the_rows_shown(chrome, demo):
    server, report = demo.server, demo.report
    open_page(chrome, server.url + "/?team=storefront")
    wait_until(lambda: shown_ids(chrome) == ["checkout/availability", "checkout/latency"], what="storefront rows")
    exported = export_csv(chrome, "overview-table", chrome.downloads)

    by_id = {s["id"]: s for s in report["slos"]}
    assert [r["SLO"] for r in exported] == shown_ids(chrome)
    for row in exported:
        slo = by_id[row["SLO"]]
        # The CSV holds the numbers, not the rounded display text (ten significant digits).
        assert float(row["SLI"]) == pytest.approx(slo["sli"] * 100, rel=1e-9)
        assert float(row["Budget remaining"]) == pytest.approx(slo["budget_remaining"] * 100, rel=1e-9)
        assert row["Team"] == "storefront"
    assert severe_console_messages(chrome) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("?team=discovery", {"search/availability", "search/latency"}, id="team filter from the URL"),
        pytest.param("?service=payments", {"payments/availability", "payments/latency"}, id="service filter from the URL"),
        pytest.param("?team=discovery&service=payments", set(), id="filters that exclude each other show an empty state"),
    ],
)
def test_filters_in_the_url_choose_the_rows(chrome, demo, query, expected):
    server = demo.server
    chrome.get(server.url + "/" + query)
    if expected:
        wait_until(lambda: set(shown_ids(chrome)) == expected, what=f"rows {sorted(expected)}")
    else:
        empty = wait_until(lambda: chrome.find_element("id", "overview-table-empty"), what="the empty state")
        assert "Clear the team, service or search filter" in empty.text
    assert severe_console_messages(chrome) == []


def test_search_box_filters_as_you_type_and_lands_in_the_url(chrome, demo):
    server = demo.server
    open_page(chrome, server.url + "/")
    box = chrome.find_element("css selector", ".filter-search input")
    box.send_keys("latency")
    wait_until(lambda: set(shown_ids(chrome)) == {"checkout/latency", "payments/latency", "search/latency"},
               what="latency SLOs only")
    wait_until(lambda: parse_qs(urlparse(chrome.current_url).query).get("q") == ["latency"], what="q in the URL")


def test_time_range_changes_the_deploy_count_and_the_url(chrome, demo):
    server = demo.server
    fleet = demo_fleet()
    open_page(chrome, server.url + "/?team=payments")

    def deploys_in(days: int) -> int:
        start = DEMO_END - days * 86_400
        return sum(d.service == "payments" and start < d.started_at.timestamp() <= DEMO_END for d in fleet.deployments)

    tile = wait_until(lambda: chrome.find_element("id", "tile-deploys"), what="deploy tile")
    assert tile.text.splitlines()[:2] == ["DEPLOYS (7D)", str(deploys_in(7))]
    chrome.find_element("xpath", "//label[normalize-space()='30d']").click()
    wait_until(lambda: chrome.find_element("id", "tile-deploys").text.splitlines()[:2]
               == ["DEPLOYS (30D)", str(deploys_in(30))], what="the 30-day deploy count")
    query = parse_qs(urlparse(chrome.current_url).query)
    assert query["range"] == ["30d"] and query["team"] == ["payments"]
    # The nav links carry the range and filters to the next page.
    href = chrome.find_element("id", "nav-deployments").get_attribute("href")
    assert parse_qs(urlparse(href).query) == {"range": ["30d"], "team": ["payments"]}
    assert deploys_in(30) > deploys_in(7)
    assert severe_console_messages(chrome) == []


def test_clicking_an_slo_opens_its_detail_page(chrome, demo):
    server, report = demo.server, demo.report
    open_page(chrome, server.url + "/?range=24h")
    cell = chrome.find_element("css selector", '#overview-table td[data-dash-column="slo"]')
    slo_id = cell.text
    cell.click()
    wait_until(lambda: urlparse(chrome.current_url).path == f"/slo/{slo_id}", what="the SLO page URL")
    heading = wait_until(lambda: chrome.find_element("css selector", "h1").text == slo_id and
                         chrome.find_element("id", "tile-sli"), what="the SLO page")
    status = next(s for s in report["slos"] if s["id"] == slo_id)
    assert_shown(heading.text.splitlines()[1], status["sli"] * 100, 3)
    assert parse_qs(urlparse(chrome.current_url).query) == {"range": ["24h"]}
    assert severe_console_messages(chrome) == []


def test_no_stale_banner_when_data_is_fresh(chrome, demo):
    server = demo.server
    open_page(chrome, server.url + "/")
    as_of = wait_until(lambda: chrome.find_element("id", "as-of").text, what="the as-of line")
    assert as_of.startswith("as of 2026-09-21 14:00 UTC")
    assert chrome.find_elements("id", "stale-banner") == []


def test_stale_banner_when_the_newest_sample_is_older_than_three_intervals(chrome, demo, tmp_path):
    store = demo.store
    later = DEMO_END + int(timedelta(hours=2).total_seconds())
    settings = Settings(data_dir=tmp_path, specs_dir=SPECS_DIR)
    stale = DashboardServer.start(settings, store=store, clock=lambda: later)
    try:
        open_page(chrome, stale.url + "/")
        banner = wait_until(lambda: chrome.find_element("id", "stale-banner"), what="the stale banner")
        assert "newest sample is 2h old" in banner.text
        assert "Collection health" in banner.text
        assert severe_console_messages(chrome) == []
        screenshot(chrome, "overview-stale")
    finally:
        stale.stop()
