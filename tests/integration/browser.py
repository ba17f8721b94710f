"""A real headless Chromium for dashboard tests, and the dashboard served in a thread.

Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) with plain selenium 4. The ``Service`` is passed
explicitly so that Selenium Manager never looks anything up on the network.
Without Chromium the tests skip, and fail when CI=true.
"""

from __future__ import annotations

import base64
import csv
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.missing import missing

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def require_chromium() -> tuple[str, str]:
    binary = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if binary is None or driver is None:
        missing("chromium and chromedriver must be installed (Debian: apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing("selenium is not installed (pip install -e '.[test]')")
    return binary, driver


def start_chrome(download_dir: Path, *, width: int = 1400, height: int = 1000, timezone: str = "UTC"):
    """A headless Chromium that saves downloads into ``download_dir`` and keeps console logs.

    The browser runs in ``timezone`` (its ``TZ``), whatever the machine's zone: the
    dashboard shows times in the browser's zone, and tests must know which one that is.
    """
    import os

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        # Otherwise Chromium blocks every download after the first one from a site.
        "profile.default_content_setting_values.automatic_downloads": 1,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(driver_path, env={**os.environ, "TZ": timezone})  # Chromium inherits the driver's
    driver = webdriver.Chrome(service=service, options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


def severe_console_messages(driver) -> list[str]:
    """Console entries of level SEVERE since the last call (the log is drained on read)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_until(condition: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # stale elements while Dash re-renders: retry
            last_error = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def wait_for_callbacks(driver, timeout: float = 30.0) -> None:
    """Wait until Dash has no callback in flight (the renderer marks the document while loading)."""
    wait_until(
        lambda: driver.execute_script(
            "return document.querySelector('[data-dash-is-loading=\"true\"]') === null"
            " && document.querySelector('#_pages_content') !== null"
        ),
        timeout,
        "Dash callbacks to finish",
    )


def table_rows(driver, table_id: str) -> list[dict[str, str]]:
    """The cells shown in a DataTable, as dicts keyed by column id (the header names are display text)."""
    return driver.execute_script(
        """
        const rows = [];
        document.querySelectorAll(`#${arguments[0]} tr`).forEach(tr => {
          const cells = tr.querySelectorAll('td[data-dash-column]');
          if (!cells.length) return;
          const row = {};
          cells.forEach(td => { row[td.getAttribute('data-dash-column')] = td.innerText.trim(); });
          rows.push(row);
        });
        return rows;
        """,
        table_id,
    )


def export_csv(driver, table_id: str, download_dir: Path, timeout: float = 15.0) -> list[dict[str, str]]:
    """Click the table's Export button and read the CSV file it downloads.

    The folder is emptied first: Chromium reuses the table's file name, so a second
    export would otherwise overwrite the first and look like no download at all.
    """
    for old in download_dir.iterdir():
        old.unlink()
    # DataTable's own button, or the one a table with links exports through (``tables.py``).
    driver.find_element("css selector", f"#{table_id} button.export, #{table_id}-export").click()

    def downloaded():
        files = list(download_dir.iterdir())
        done = [p for p in files if p.suffix == ".csv"]
        return done[0] if done and not any(p.suffix == ".crdownload" for p in files) else None

    path = wait_until(downloaded, timeout, f"the CSV export of {table_id}")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def screenshot(driver, name: str) -> Path:
    """Save a screenshot of the whole page (not only the viewport) to ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    # Capturing beyond the viewport lays the page out without a scrollbar, so it is as wide
    # as the window: clipping to the content width (window minus scrollbar) would cut its right edge.
    width = max(size["width"], driver.execute_script("return window.innerWidth"))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png",
        "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], 8000), "scale": 1},
    })
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@dataclass
class DashboardServer:
    """The dashboard served by ``dashboard.serve.build_server`` on a free loopback port."""

    server: object
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @classmethod
    def start(cls, settings, *, store, clock, reports=None) -> "DashboardServer":
        from dashboard.serve import build_server

        server = build_server(settings, "127.0.0.1", 0, store=store, clock=clock, reports=reports)
        thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
        thread.start()
        return cls(server, thread)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# --- the demo fleet, seeded once per test session ----------------------------------------

DAY = 86_400
DEMO_END = 1_789_948_800 + 14 * 3600  # 2026-09-21 14:00 UTC, on the 60-s step grid
DEMO_DAYS = 35
SPECS_DIR = Path(__file__).resolve().parents[2] / "slo_specs"


def demo_fleet():
    """The synthetic demo fleet (checkout, payments, search) over 35 days ending at DEMO_END."""
    from collectors.synthetic import DEMO_SERVICES, generate_fleet

    return generate_fleet(DEMO_SERVICES, DEMO_END - DEMO_DAYS * DAY, DEMO_END, step_s=60, seed=0)


def demo_specs():
    from sloboard.specs import load_specs

    result = load_specs([SPECS_DIR])
    assert result.slos and not [p for p in result.problems if p.severity == "error"], result.problems
    return result.slos


def seeded_demo_url(base_temp: Path) -> str:
    """A SQLite store holding the demo fleet, seeded on first use in this session's temp dir."""
    from collectors.synthetic_store import seed_store
    from sloboard.store import Store

    path = base_temp / "demo-fleet.db"
    done = base_temp / "demo-fleet.done"
    url = f"sqlite:///{path}"
    if not done.exists():
        with Store.open(url) as store:
            seed_store(store, demo_fleet(), demo_specs())
        done.touch()
    return url


# --- fixtures shared by the dashboard test modules (import them by name) ----------------


@dataclass
class Demo:
    """The dashboard over the demo fleet, and the status report it must agree with."""

    server: DashboardServer
    settings: object
    store: object
    report: dict


DEMO_BUDGETS = {"total": 300.0, "service:checkout": 40.0, "team:payments": 50.0}


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    driver = start_chrome(downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """A Chromium as wide as a 13" laptop's screen."""
    driver = start_chrome(tmp_path_factory.mktemp("laptop"), width=1280, height=800)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from sloboard.settings import Settings
    from sloboard.reads.status import status_report
    from sloboard.store import Store
    from tests.factories import settings_read_options

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), specs_dir=SPECS_DIR,
                        cost={"budgets_usd": DEMO_BUDGETS})
    store = Store.open(seeded_demo_url(tmp_path_factory.getbasetemp()))
    report = status_report(store, demo_specs(), DEMO_END, **settings_read_options(settings)).to_dict()  # as the JSON has it
    server = DashboardServer.start(settings, store=store, clock=lambda: DEMO_END + 30)
    yield Demo(server, settings, store, report)
    server.stop()
    store.close()
