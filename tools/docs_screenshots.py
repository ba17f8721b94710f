"""The README's screenshots: the overview and one SLO page of a running demo, in docs/.

    make demo                                   # prints the demo login
    .venv/bin/python tools/docs_screenshots.py --password <demo password>

Logs in through the login form of the dashboard at --url (as a person would, with
headless Chromium) and saves docs/screenshot-overview.png and docs/screenshot-slo.png.
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = {"screenshot-overview.png": "/", "screenshot-slo.png": "/slo/checkout/availability"}


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    # An explicit driver path: Selenium Manager would otherwise look for one on the network.
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def settled(driver, timeout: float = 60.0) -> None:
    """Wait until Dash has no callback in flight, then a moment for plotly to draw."""
    deadline = time.monotonic() + timeout
    script = ("return document.querySelector('#_pages_content') !== null && "
              "document.querySelector('[data-dash-is-loading=\"true\"]') === null")
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise SystemExit(f"{driver.current_url}: the page did not finish loading in {timeout:g} s")
        time.sleep(0.2)
    time.sleep(1.5)


def shoot(driver, path: Path, max_height: int) -> None:
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width = max(size["width"], driver.execute_script("return window.innerWidth"))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], max_height), "scale": 1}})
    from PIL import Image  # Pillow comes with matplotlib and WeasyPrint

    # 256 colours keep the flat UI sharp at a third of the size of the full-colour PNG.
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", required=True)
    parser.add_argument("--max-height", type=int, default=1400, help="cut long pages at this many pixels")
    args = parser.parse_args()
    driver = browser(1280, 900)
    try:
        driver.get(args.url.rstrip("/") + "/login")
        driver.find_element("id", "user").send_keys(args.user)
        driver.find_element("id", "password").send_keys(args.password)
        driver.find_element("css selector", "button[type=submit]").click()
        for name, page in PAGES.items():
            driver.get(args.url.rstrip("/") + page)
            if "/login" in driver.current_url:
                raise SystemExit(f"{args.url}: the login was refused; check --user and --password")
            settled(driver)
            shoot(driver, DOCS / name, args.max_height)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
