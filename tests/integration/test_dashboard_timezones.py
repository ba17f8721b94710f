"""Times in the browser's zone, UTC on hover, and the custom time range, in a real
Chromium running in America/New_York (its ``TZ``) next to one running in UTC.

At DEMO_END, 2026-09-21 14:00 UTC, New York keeps daylight time (UTC-4): 10:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

from .browser import (  # noqa: F401 (chrome and demo are fixtures)
    DEMO_END,
    chrome,
    demo,
    demo_fleet,
    screenshot,
    severe_console_messages,
    start_chrome,
    table_rows,
    wait_until,
)

pytestmark = pytest.mark.integration
NEW_YORK = "America/New_York"


@pytest.fixture(scope="module")
def ny_chrome(tmp_path_factory):
    driver = start_chrome(tmp_path_factory.mktemp("ny-downloads"), timezone=NEW_YORK)
    yield driver
    driver.quit()


def last_point(driver, graph_id: str) -> dict:
    """The first trace's last point as plotly holds it: x as sent, and its customdata."""
    return wait_until(lambda: driver.execute_script(
        """
        const plot = document.querySelector(`#${arguments[0]} .js-plotly-plot`);
        if (!plot || !plot.data || !plot.data.length) return null;
        const t = plot.data[0], n = t.x.length - 1;
        return {x: String(t.x[n]).replace('T', ' ').slice(0, 16), utc: t.customdata[n][0], n: n,
                axis: plot._fullLayout.xaxis.title.text};
        """, graph_id), what=f"the chart {graph_id}")


def hover_text(driver, graph_id: str, point: int) -> str:
    """Hover the first trace's point through plotly, and read the tooltip it draws."""
    return wait_until(lambda: driver.execute_script(
        """
        const plot = document.querySelector(`#${arguments[0]} .js-plotly-plot`);
        Plotly.Fx.hover(plot, [{curveNumber: 0, pointNumber: arguments[1]}]);
        const label = plot.querySelector('.hoverlayer .hovertext');
        return label ? label.textContent : null;
        """, graph_id, point), what=f"a tooltip on {graph_id}")


def test_charts_are_in_the_browser_zone_with_utc_on_hover(ny_chrome, chrome, demo):
    ny_chrome.get(demo.server.url + "/")
    as_of = wait_until(lambda: ny_chrome.find_element("id", "as-of").text, what="the as-of line")
    assert as_of.startswith(f"as of 2026-09-21 10:00 {NEW_YORK}")

    ny = last_point(ny_chrome, "overview-trend")
    assert (ny["x"], ny["utc"]) == ("2026-09-21 10:00", "2026-09-21 14:00")
    assert ny["axis"] == f"time in {NEW_YORK} (UTC on hover)"
    tooltip = hover_text(ny_chrome, "overview-trend", ny["n"])
    assert f"2026-09-21 10:00 {NEW_YORK}" in tooltip and "2026-09-21 14:00 UTC" in tooltip
    assert severe_console_messages(ny_chrome) == []
    screenshot(ny_chrome, "overview-new-york-hover")

    # The same page in a browser on UTC draws the same instant at 14:00.
    chrome.get(demo.server.url + "/")
    utc = last_point(chrome, "overview-trend")
    assert (utc["x"], utc["utc"]) == ("2026-09-21 14:00", "2026-09-21 14:00")


def test_tables_and_deploy_markers_use_the_browser_zone(ny_chrome, demo):
    ny_chrome.get(demo.server.url + "/deployments")
    rows = wait_until(lambda: table_rows(ny_chrome, "deployments-table"), what="the deployments table")
    newest = max(demo_fleet().deployments, key=lambda d: d.started_at)
    assert rows[0]["version"] == newest.version
    assert rows[0]["started"] == newest.started_at.astimezone(ZoneInfo(NEW_YORK)).strftime("%Y-%m-%d %H:%M")
    header = ny_chrome.find_element("css selector", '#deployments-table th[data-dash-column="started"]').text
    assert NEW_YORK in header

    ny_chrome.get(f"{demo.server.url}/service/{newest.service}?range=24h")
    wait_until(lambda: ny_chrome.find_elements("css selector", "#service-latency .js-plotly-plot"), what="latency")
    marker = wait_until(lambda: ny_chrome.execute_script(
        """
        const plot = document.querySelector('#service-latency .js-plotly-plot');
        const t = plot && plot.data.find(t => t.name === 'deploy succeeded');
        return t && {x: String(t.x[t.x.length - 1]).replace('T', ' ').slice(0, 19), utc: t.customdata[t.x.length - 1][0],
                     what: t.customdata[t.x.length - 1][1]};
        """), what="deploy markers")
    local = newest.started_at.astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None)
    assert marker["x"] == local.isoformat(sep=" ")
    assert marker["utc"] == newest.started_at.strftime("%Y-%m-%d %H:%M")
    assert marker["what"].startswith(newest.version)
    assert severe_console_messages(ny_chrome) == []


def test_custom_days_are_local_days_of_the_browser(ny_chrome, demo):
    """2026-09-11 in New York runs from 04:00 UTC that day to 04:00 UTC the next."""
    ny_chrome.get(f"{demo.server.url}/deployments?range=custom&start=2026-09-11&end=2026-09-11")
    heading = wait_until(lambda: next((h.text for h in ny_chrome.find_elements("css selector", "h2")
                                       if h.text.startswith("Deployments in")), None), what="the table heading")
    start = datetime(2026, 9, 11, tzinfo=ZoneInfo(NEW_YORK))
    expected = [d for d in demo_fleet().deployments if start < d.started_at <= start + timedelta(days=1)]
    assert heading == f"Deployments in 2026-09-11 to 2026-09-11 ({len(expected)})"
    rows = table_rows(ny_chrome, "deployments-table")
    assert sorted(r["version"] for r in rows) == sorted(d.version for d in expected)
    # Hourly spend bars of that day: 24 of them, the first from local midnight, 04:00 UTC.
    ny_chrome.get(f"{demo.server.url}/cost?range=custom&start=2026-09-11&end=2026-09-11")
    bars = wait_until(lambda: ny_chrome.execute_script(
        """
        const plot = document.querySelector('#cost-chart .js-plotly-plot');
        const t = plot && plot.data[0];
        return t && {n: t.x.length, x: String(t.x[0]).replace('T', ' ').slice(0, 16), utc: t.customdata[0][0]};
        """), what="the hourly cost bars")
    assert bars == {"n": 24, "x": "2026-09-11 00:00", "utc": "2026-09-11 04:00"}
    assert severe_console_messages(ny_chrome) == []


def test_choosing_custom_shows_the_date_picker_and_puts_the_days_in_the_url(chrome, demo):
    chrome.get(demo.server.url + "/cost?team=payments")
    picker = wait_until(lambda: chrome.find_element("css selector", ".filter-dates"), what="the date picker")
    assert not picker.is_displayed()
    chrome.find_element("xpath", "//label[normalize-space()='custom']").click()
    wait_until(lambda: picker.is_displayed(), what="the date picker to show")
    # The picker offers the last seven days (in the configured zone, UTC): 2026-09-15 to 2026-09-21.
    query = wait_until(lambda: parse_qs(urlparse(chrome.current_url).query).get("start") and
                       parse_qs(urlparse(chrome.current_url).query), what="the days in the URL")
    assert query == {"range": ["custom"], "start": ["2026-09-15"], "end": ["2026-09-21"], "team": ["payments"]}
    href = chrome.find_element("id", "nav-deployments").get_attribute("href")
    assert parse_qs(urlparse(href).query) == query
    title = wait_until(lambda: chrome.execute_script(
        "const p = document.querySelector('#cost-chart .js-plotly-plot'); return p && p._fullLayout.title.text"),
        what="the cost chart")
    assert title.startswith("Spend per day")
    # Back to a preset: the picker hides and the days leave the URL.
    chrome.find_element("xpath", "//label[normalize-space()='30d']").click()
    wait_until(lambda: not picker.is_displayed(), what="the date picker to hide")
    wait_until(lambda: parse_qs(urlparse(chrome.current_url).query) == {"range": ["30d"], "team": ["payments"]},
               what="the preset in the URL")
    assert severe_console_messages(chrome) == []
