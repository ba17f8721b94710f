"""Every page on a 390 x 844 phone (an iPhone 12-15's CSS pixels) in a real Chromium: nothing
makes the page wider than the screen (tables scroll inside their own box), the time-range
choices all show, and no chart's toolbar covers its title. The same pages at 1280 are kept
as screenshots beside the phone's, to compare."""

from __future__ import annotations

import pytest

from .browser import (  # noqa: F401 (demo and laptop are fixtures)
    demo,
    laptop,
    screenshot,
    severe_console_messages,
    start_chrome,
    wait_for_callbacks,
    wait_until,
)

pytestmark = pytest.mark.integration
PHONE = (390, 844)
# (screenshot name, path, an element that is there once the page has rendered)
PAGES = [
    ("overview", "/", "#overview-trend .main-svg"),
    ("slo", "/slo/checkout/availability", "#slo-burndown .main-svg"),
    ("service", "/service/checkout", "#service-latency .main-svg"),
    ("deployments", "/deployments", "#deployments-table td"),
    ("cost", "/cost", "#cost-table td"),
    ("collection", "/collection", "#collection-gaps-table td"),
    ("reports", "/reports", "#reports-list"),
    ("not-found", "/no/such/page", "#not-found"),
    ("unknown-service", "/service/nope", "#service-unknown"),
]


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    driver = start_chrome(tmp_path_factory.mktemp("phone"), width=PHONE[0], height=PHONE[1])
    # A desktop window is at least 500 px wide; a phone's viewport is what the device says.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
    yield driver
    driver.quit()


def open_page(driver, url: str, ready: str) -> None:
    driver.get(url)
    wait_until(lambda: driver.find_elements("css selector", ready), what=ready)
    wait_for_callbacks(driver)


def overflow(driver) -> dict:
    """How much wider than the window the page is, and the elements that stick out on the right
    (outside any box that scrolls or clips them), to name in a failure."""
    return driver.execute_script(
        """
        const root = document.documentElement, width = root.clientWidth;
        const clips = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
        const out = Array.from(document.body.querySelectorAll('*'))
          .filter(e => e.getBoundingClientRect().right > width + 0.5 && !clips(e))
          .slice(0, 8).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className.baseVal ?? e.className}`
                                  + ` right=${Math.round(e.getBoundingClientRect().right)}`);
        return {scroll: root.scrollWidth, client: width, out};
        """)


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def toolbars_over_titles(driver) -> list[str]:
    """Charts whose plotly modebar, as drawn, covers the chart's title."""
    charts = driver.execute_script(
        """
        return Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => {
          const bar = p.querySelector('.modebar'), title = p.querySelector('.gtitle');
          const box = e => e ? e.getBoundingClientRect().toJSON() : null;
          return {id: p.parentElement.id || p.id, bar: box(bar), title: box(title)};
        });
        """)
    return [c["id"] for c in charts if c["bar"] and c["title"] and c["bar"]["width"] > 0 and overlaps(c["bar"], c["title"])]


@pytest.mark.parametrize(("name", "path", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_fits_a_phone(phone, demo, name, path, ready):
    open_page(phone, demo.server.url + path, ready)
    # The layout viewport is the device's width (a phone zooms out, window.innerWidth grows, when a page is wider).
    assert phone.execute_script("return document.documentElement.clientWidth") == PHONE[0]
    shot = screenshot(phone, f"phone-{name}")
    fit = overflow(phone)
    assert fit["scroll"] <= fit["client"], f"{path} is {fit['scroll']} px wide at {fit['client']} ({shot}): {fit['out']}"
    # The toolbar is laid out (if transparent) until a hover or tap shows it: its box counts.
    assert toolbars_over_titles(phone) == [], f"chart toolbars cover chart titles ({shot})"
    assert severe_console_messages(phone) == []


def test_time_range_choices_all_show_on_a_phone(phone, demo):
    open_page(phone, demo.server.url + "/", PAGES[0][2])
    labels = phone.execute_script(
        """
        // A pattern-matching id is its JSON, keys sorted.
        const control = document.getElementById('{"name":"range","type":"filter"}');
        const box = control.getBoundingClientRect();  // it clips what does not fit (overflow: hidden)
        return Array.from(control.querySelectorAll('label')).map(l => { const r = l.getBoundingClientRect();
          return {text: l.innerText.trim(), inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5
                  && box.right <= document.documentElement.clientWidth}; });
        """)
    assert [label["text"] for label in labels] == ["24h", "7d", "30d", "90d", "custom"]
    assert all(label["inside"] for label in labels), labels


@pytest.mark.parametrize(("name", "path", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_the_same_pages_on_a_laptop_for_comparison(laptop, demo, name, path, ready):
    open_page(laptop, demo.server.url + path, ready)
    shot = screenshot(laptop, f"laptop-{name}")
    fit = overflow(laptop)
    assert fit["scroll"] <= fit["client"], f"{path} scrolls sideways at 1280 ({shot}): {fit['out']}"
    assert toolbars_over_titles(laptop) == [], f"chart toolbars cover chart titles ({shot})"
