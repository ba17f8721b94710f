"""Readable on a 1280-pixel laptop and on a 2560 x 1440 wall screen, with series colours
from the colour-blind-safe Okabe–Ito palette and outcomes told apart without colour."""

from __future__ import annotations

import pytest

from dashboard.components.palette import SERIES
from dashboard.components.view import WALL_WIDTH

from .browser import demo, laptop, screenshot, severe_console_messages, start_chrome, wait_until  # noqa: F401

pytestmark = pytest.mark.integration
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    driver = start_chrome(tmp_path_factory.mktemp("wall"), width=2560, height=1440)
    yield driver
    driver.quit()


def boxes(driver, selector: str) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.getBoundingClientRect().toJSON())",
        selector)


def px(driver, selector: str, prop: str) -> float:
    return float(driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]", selector, prop).rstrip("px"))


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def clipped(driver, selector: str) -> list[str]:
    """Elements inside ``selector`` whose content is wider than they show (a table scrolled sideways)."""
    return driver.execute_script(
        """
        return Array.from(document.querySelectorAll(arguments[0] + ' *'))
          .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
          .map(e => e.className);
        """, selector)


def open_overview(driver, url: str) -> None:
    driver.get(url + "/")
    wait_until(lambda: driver.find_elements("css selector", "#overview-trend .js-plotly-plot .main-svg"),
               what="the budget chart")
    wait_until(lambda: driver.find_elements("id", "tile-cost"), what="the cost tile")


def test_laptop_fits_a_row_of_tiles_without_scrolling_sideways(laptop, demo):
    open_overview(laptop, demo.server.url)
    delivery = boxes(laptop, "#tile-success, #tile-frequency, #tile-rollback, #tile-cfr, #tile-cost")
    assert len(delivery) == 5 and len({round(b["top"]) for b in delivery}) == 1, "five delivery tiles in one row"
    assert min(b["width"] for b in delivery) >= 180
    assert no_horizontal_scroll(laptop)
    # Table above chart, each the page's width.
    table, chart = boxes(laptop, "#overview-table")[0], boxes(laptop, "#overview-trend")[0]
    assert chart["top"] > table["bottom"]
    assert not clipped(laptop, "#overview-table"), "every column of the SLO table shows"
    screenshot(laptop, "overview-laptop-1280")

    laptop.get(demo.server.url + "/slo/search/latency")
    wait_until(lambda: laptop.find_elements("css selector", "#slo-burndown .js-plotly-plot .main-svg"), what="burn-down")
    status = boxes(laptop, ".tiles .tile")
    assert len(status) == 6 and len({round(b["top"]) for b in status}) == 1, "six status tiles in one row"
    assert no_horizontal_scroll(laptop)
    assert severe_console_messages(laptop) == []
    screenshot(laptop, "slo-laptop-1280")


def test_wall_screen_uses_the_width_with_larger_type_and_charts(wall, demo):
    assert wall.execute_script("return window.innerWidth") >= WALL_WIDTH
    open_overview(wall, demo.server.url)
    # The SLO table (with its caption and Export button) and the budget chart side by side, the chart drawn larger.
    table, chart = boxes(wall, ".overview-main .table-wrap")[0], boxes(wall, "#overview-trend")[0]
    assert chart["left"] >= table["right"] and abs(chart["top"] - table["top"]) < 60
    height = wall.execute_script("return document.querySelector('#overview-trend .js-plotly-plot')._fullLayout.height")
    assert height == round(360 * 1.4)
    assert px(wall, ".tile-value", "fontSize") >= 32
    assert px(wall, "#overview-table td", "fontSize") >= 15
    assert not clipped(wall, "#overview-table"), "every column of the SLO table shows"
    page = boxes(wall, "main")[0]
    assert page["width"] >= 2300, "the page uses the screen, not a laptop-wide column"
    assert no_horizontal_scroll(wall)
    assert severe_console_messages(wall) == []
    screenshot(wall, "overview-wall-2560")

    # Tables do not stretch across the whole wall.
    wall.get(demo.server.url + "/deployments")
    wait_until(lambda: wall.find_elements("css selector", "#deployments-table td"), what="the deployments table")
    assert boxes(wall, "#deployments-table")[0]["width"] <= 1900
    screenshot(wall, "deployments-wall-2560")


def test_series_use_the_okabe_ito_palette_and_outcomes_differ_by_pattern(laptop, demo):
    assert {c.upper() for c in SERIES} == OKABE_ITO
    open_overview(laptop, demo.server.url)
    colours = laptop.execute_script(
        "return document.querySelector('#overview-trend .js-plotly-plot')._fullData.map(t => t.line.color)")
    assert len(colours) == len(demo.report["slos"]) and len(set(colours)) == len(colours)
    assert {c.upper() for c in colours} <= OKABE_ITO

    laptop.get(demo.server.url + "/deployments?range=30d")
    bars = wait_until(lambda: laptop.execute_script(
        """
        const plot = document.querySelector('#deployments-chart .js-plotly-plot');
        return plot && plot._fullData.map(t => [t.name, t.marker.color, t.marker.pattern.shape]);
        """), what="the deployments chart")
    by_name = {name: (colour.upper(), shape) for name, colour, shape in bars}
    assert set(by_name) == {"succeeded", "failed", "rolled back"}
    assert {colour for colour, _ in by_name.values()} <= OKABE_ITO
    assert len({shape for _, shape in by_name.values()}) == 3, "each outcome has its own fill pattern"
