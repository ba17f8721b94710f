"""The overview page in a real Chromium over the seeded demo fleet: the numbers equal
``status_report`` at the same instant, filters and the time range change what is shown
and live in the URL, the CSV export holds the rows shown, and nothing logs an error."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from sloboard.settings import Settings

from .browser import (  # noqa: F401 (chrome and demo are fixtures)
    DEMO_BUDGETS,
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
# The long windows of the default alert table, which every demo SLO uses; one SLO of
# payments adds a 1d ticket alert.
FLEET_WINDOWS = ("1h", "6h", "3d")


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
        for label in FLEET_WINDOWS:
            assert_shown(row[f"burn_{label}"], slo["burn_rates"][label], 2)
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


def test_each_budget_cell_has_a_bar_as_wide_as_its_budget_left(chrome, demo):
    """The bar behind a budget cell is its budget left to the whole percent, none where none
    is left (the styles are per percent and policy level, not per row)."""
    open_page(chrome, demo.server.url + "/")
    shown = chrome.execute_script(
        """return [...document.querySelectorAll('#overview-table td[data-dash-column="budget_remaining"]')]
           .map(td => [td.innerText.trim(), getComputedStyle(td).backgroundImage]);""")
    by_budget = {round(s["budget_remaining"] * 100, 1): s for s in demo.report["slos"]
                 if s["budget_remaining"] is not None}
    assert len(shown) >= min(len(by_budget), 10)
    for text, image in shown:
        if text == "no data":
            assert image == "none"
            continue
        percent = number(text)
        width = math.floor(percent + 0.5)  # shown to 0.1 %: the bar's whole percent, but at a rounding edge
        if percent < 0.5:
            assert image == "none", (text, image)
        else:
            assert f" {min(width, 100)}%" in image or f" {min(width, 100)}.0%" in image, (text, image)


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
    open_page(chrome, server.url + "/?team=payments")

    def deploys_in(days: int) -> int:  # started in [end - days, end), as DORA counts
        start = DEMO_END - days * DAY
        return sum(d.service == "payments" and start <= d.started_at.timestamp() < DEMO_END for d in fleet_deploys())

    tile = wait_until(lambda: chrome.find_element("id", "tile-frequency"), what="deploy frequency tile")
    assert tile.text.splitlines()[0] == "DEPLOY FREQUENCY (7D)"
    assert f"{deploys_in(7)} deployments" in tile.text
    chrome.find_element("xpath", "//label[normalize-space()='30d']").click()
    wait_until(lambda: f"{deploys_in(30)} deployments" in chrome.find_element("id", "tile-frequency").text,
               what="the 30-day deploy count")
    assert chrome.find_element("id", "tile-frequency").text.splitlines()[0] == "DEPLOY FREQUENCY (30D)"
    query = parse_qs(urlparse(chrome.current_url).query)
    assert query["range"] == ["30d"] and query["team"] == ["payments"]
    # The nav links carry the range and filters to the next page.
    href = chrome.find_element("id", "nav-deployments").get_attribute("href")
    assert parse_qs(urlparse(href).query) == {"range": ["30d"], "team": ["payments"]}
    assert deploys_in(30) > deploys_in(7)
    assert severe_console_messages(chrome) == []


# --- delivery and cost tiles ---------------------------------------------------------------

DAY = 86_400


def fleet_deploys():
    return demo_fleet().deployments


def fleet_dora(days_ago_from: int, days_ago_to: int, service: str | None = None) -> dict:
    """Counts of the fleet's own plan for deployments started in [end - from, end - to)."""
    lo, hi = DEMO_END - days_ago_from * DAY, DEMO_END - days_ago_to * DAY
    picked = [d for d in fleet_deploys() if lo <= d.started_at.timestamp() < hi and service in (None, d.service)]
    by = {status: sum(d.status.value == status for d in picked) for status in ("succeeded", "failed", "rolled_back")}
    return {"n": len(picked), **by}


def trend_row(chrome, row_id: str) -> dict:
    return wait_until(lambda: chrome.execute_script(
        """
        const row = document.getElementById(arguments[0]);
        return row && {value: row.querySelector('.trend-value').innerText,
                       change: row.querySelector('.trend-change').innerText,
                       alt: row.querySelector('img.sparkline').alt};
        """, row_id), what=row_id)


def change_words(now: float, before: float, higher_is_better: bool) -> str:
    delta = now - before
    better = (delta > 0) == higher_is_better
    return f"{'↑' if delta > 0 else '↓'} {abs(delta) * 100:.1f} pp {'better' if better else 'worse'}"


def target_word(value: float, goal: float, limit: float, higher_is_better: bool, at_risk: str) -> str:
    meets = (lambda bound: value >= bound) if higher_is_better else (lambda bound: value < bound)
    return "On target" if meets(goal) else at_risk if meets(limit) else "Off target"


def test_delivery_tiles_equal_the_status_report_and_compare_with_the_week_before(chrome, demo):
    open_page(chrome, demo.server.url + "/")
    entries = {e["window"]: e for e in demo.report["dora"] if e["service"] == "*"}
    week, month = entries["7d"], entries["30d"]
    now, before = fleet_dora(7, 0), fleet_dora(14, 7)
    assert now["n"] == week["deployments"] and before["n"] > 0  # the plan and the status report agree

    shown = {
        "tile-success": lambda e: f"{e['succeeded'] / e['deployments'] * 100:.1f}%",
        "tile-frequency": lambda e: f"{e['deployment_frequency_per_day']:.2f}/day",
        "tile-rollback": lambda e: f"{e['rollback_rate'] * 100:.1f}%",
        "tile-cfr": lambda e: f"{e['change_failure_rate'] * 100:.1f}%",
    }
    for tile_id, text in shown.items():
        lines = chrome.find_element("id", tile_id).text.splitlines()
        assert lines[0].endswith("(7D)") and lines[1] == text(week), tile_id
        assert trend_row(chrome, f"{tile_id}-7d")["value"] == text(week), tile_id
        assert trend_row(chrome, f"{tile_id}-30d")["value"] == text(month), tile_id
        # The store holds 35 days: there is no whole 30 days before the last 30 to compare with.
        assert trend_row(chrome, f"{tile_id}-30d")["change"] == "no prior 30d", tile_id

    # The change against the week before, from the fleet's plan.
    rate = lambda c, key: c[key] / c["n"]  # noqa: E731
    assert trend_row(chrome, "tile-success-7d")["change"] == change_words(
        rate(now, "succeeded"), rate(before, "succeeded"), True)
    assert trend_row(chrome, "tile-rollback-7d")["change"] == change_words(
        rate(now, "rolled_back"), rate(before, "rolled_back"), False)
    frequency_change = (now["n"] - before["n"]) / 7
    assert trend_row(chrome, "tile-frequency-7d")["change"].startswith(
        f"{'↑' if frequency_change > 0 else '↓'} {abs(frequency_change):.2f}/day")
    # The sparkline's days: deployments per trailing day, oldest first, adding up to the week.
    daily = [fleet_dora(k + 1, k)["n"] for k in range(6, -1, -1)]
    assert trend_row(chrome, "tile-frequency-7d")["alt"] == \
        "7 daily values, oldest first: " + ", ".join(str(n) for n in daily)
    assert sum(daily) == week["deployments"]

    # Levels, in words: success and rollback against their targets, the others by DORA band.
    success = week["succeeded"] / week["deployments"]
    assert target_word(success, 0.99, 0.95, True, "Below target") in chrome.find_element("id", "tile-success").text
    assert target_word(week["rollback_rate"], 0.02, 0.05, False, "Above target") in \
        chrome.find_element("id", "tile-rollback").text
    assert week["bands"]["change_failure_rate"].capitalize() in chrome.find_element("id", "tile-cfr").text
    assert week["bands"]["deployment_frequency"].capitalize() in chrome.find_element("id", "tile-frequency").text
    assert severe_console_messages(chrome) == []
    screenshot(chrome, "overview-kpis")


def test_cost_tile_equals_the_status_report_month_and_windows(chrome, demo):
    open_page(chrome, demo.server.url + "/")
    cost = {e["window"]: e for e in demo.report["cost"] if e["scope"] == "total"}
    lines = chrome.find_element("id", "tile-cost").text.splitlines()
    assert lines[1] == f"${cost['month']['usd']:,.2f}"
    assert not cost["month"]["budget_warning"] and not cost["month"]["forecast_overrun"]
    assert "Within budget" in lines
    share = cost["month"]["usd"] / DEMO_BUDGETS["total"]
    assert f"{share * 100:.0f}% of ${DEMO_BUDGETS['total']:,.2f} budget" in lines[4]  # label, value, icon, word, detail
    for days in (7, 30):
        assert trend_row(chrome, f"tile-cost-{days}d")["value"] == f"${cost[f'{days}d']['usd']:,.2f}"
    assert trend_row(chrome, "tile-cost-30d")["change"] == "no prior 30d"


def test_kpi_tiles_follow_the_service_filter_and_the_range(chrome, demo):
    open_page(chrome, demo.server.url + "/?service=payments&range=30d")
    entry = next(e for e in demo.report["dora"] if e["service"] == "payments" and e["window"] == "30d")
    payments = fleet_dora(30, 0, "payments")
    assert payments["n"] == entry["deployments"]
    lines = wait_until(lambda: chrome.find_element("id", "tile-success").text.splitlines(), what="success tile")
    assert lines[:2] == ["SUCCESS RATE (30D)", f"{payments['succeeded'] / payments['n'] * 100:.1f}%"]
    assert f"{entry['deployments']} deployments" in chrome.find_element("id", "tile-frequency").text
    month = next(e for e in demo.report["cost"] if e["scope"] == "service:payments" and e["window"] == "month")
    cost = chrome.find_element("id", "tile-cost").text.splitlines()
    assert cost[1] == f"${month['usd']:,.2f}" and "service:payments" in cost[4]
    assert severe_console_messages(chrome) == []


def test_burn_columns_are_the_fleet_windows_shortest_first(chrome, demo):
    open_page(chrome, demo.server.url + "/")
    headers = chrome.execute_script(
        "return Array.from(document.querySelectorAll('#overview-table th[data-dash-column^=\"burn_\"]'))"
        ".map(th => th.getAttribute('data-dash-column'))")
    assert headers == [f"burn_{label}" for label in FLEET_WINDOWS]
    one_day = [s["id"] for s in demo.report["slos"] if any(a["long"] == "1d" for a in s["alerts"])]
    assert one_day, "the demo fleet has an SLO with a 1d alert"
    caption = chrome.find_element("css selector", ".overview-main .table-caption").text
    assert f"1d ({len(one_day)} of {len(demo.report['slos'])} SLOs alert on it)" in caption
    # Only payments' SLOs shown: each column is one that every SLO shown alerts on, 1d among them.
    open_page(chrome, demo.server.url + "/?service=payments")
    wait_until(lambda: {r["slo"] for r in table_rows(chrome, "overview-table")} == {"payments/availability",
                                                                                  "payments/latency"}, what="payments")
    headers = [th.get_attribute("data-dash-column")
               for th in chrome.find_elements("css selector", '#overview-table th[data-dash-column^="burn_"]')]
    assert headers == ["burn_1h", "burn_6h", "burn_1d", "burn_3d"]


@pytest.mark.parametrize(
    ("path", "table_id", "column", "prefix"),
    [
        pytest.param("/?range=24h", "overview-table", "slo", "/slo/", id="overview SLOs"),
        pytest.param("/?range=24h", "overview-table", "service", "/service/", id="overview services"),
        pytest.param("/service/checkout?range=24h", "service-slo-table", "slo", "/slo/", id="a service's SLOs"),
        pytest.param("/collection?range=24h", "collection-gaps-table", "slo", "/slo/", id="collection gaps"),
        pytest.param("/deployments?range=24h", "deployments-table", "service", "/service/", id="deployments"),
        pytest.param("/service/checkout?range=24h", "service-deploys-table", "service", "/service/",
                     id="a service's deployments"),
    ],
)
def test_slo_and_service_cells_are_real_links_that_keep_the_range(chrome, demo, path, table_id, column, prefix):
    chrome.get(demo.server.url + path)
    links = wait_until(lambda: chrome.find_elements("css selector", f'#{table_id} td[data-dash-column="{column}"] a'),
                       what=f"links in {table_id}")
    for link in links:
        href = urlparse(link.get_attribute("href"))
        assert href.path == prefix + link.text and parse_qs(href.query) == {"range": ["24h"]}
    assert severe_console_messages(chrome) == []


def test_clicking_an_slo_opens_its_detail_page(chrome, demo):
    server, report = demo.server, demo.report
    open_page(chrome, server.url + "/?range=24h")
    link = chrome.find_element("css selector", '#overview-table td[data-dash-column="slo"] a')
    slo_id = link.text
    chrome.execute_script("window.notReloaded = true")
    link.click()
    wait_until(lambda: urlparse(chrome.current_url).path == f"/slo/{slo_id}", what="the SLO page URL")
    heading = wait_until(lambda: chrome.find_element("css selector", "h1").text == slo_id and
                         chrome.find_element("id", "tile-sli"), what="the SLO page")
    status = next(s for s in report["slos"] if s["id"] == slo_id)
    assert_shown(heading.text.splitlines()[1], status["sli"] * 100, 3)
    assert parse_qs(urlparse(chrome.current_url).query) == {"range": ["24h"]}
    assert chrome.execute_script("return window.notReloaded === true"), "an in-app navigation, not a page load"
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
