"""The Reports page in a real Chromium over the demo fleet: a report built by
``reports.service.make_report`` is listed with its kind, period, SHA-256 and delivery
status, and its download is the archived PDF byte for byte (application/pdf). The
download route serves only the archive's PDFs: an unknown run, a run whose recorded
path leads out of the archive, and a link out of it all get 404. Screenshots at 1280
and 390 px wide go to tests/artifacts/."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request

import pytest

from reports.periods import parse_period
from reports.service import make_report

from .browser import (  # noqa: F401 (chrome and laptop are fixtures)
    DEMO_END,
    SPECS_DIR,
    Demo,
    DashboardServer,
    chrome,
    demo_specs,
    laptop,
    screenshot,
    seeded_demo_url,
    severe_console_messages,
    wait_until,
)
from .test_dashboard_phone import PHONE, open_page, overflow, phone  # noqa: F401 (phone is a fixture)

pytestmark = pytest.mark.integration
WEEK = "2026-W38"  # the demo fleet ends on Monday 2026-09-21: the last complete week


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from sloboard.settings import Settings
    from sloboard.store import Store

    seeded = seeded_demo_url(tmp_path_factory.getbasetemp()).removeprefix("sqlite:///")
    folder = tmp_path_factory.mktemp("reports-page")
    shutil.copyfile(seeded, folder / "demo.db")
    settings = Settings(data_dir=folder / "data", specs_dir=SPECS_DIR)
    store = Store.open(f"sqlite:///{folder / 'demo.db'}")
    server = DashboardServer.start(settings, store=store, clock=lambda: DEMO_END + 30)
    yield Demo(server, settings, store, {})
    server.stop()
    store.close()


@pytest.fixture(scope="module")
def built(demo):
    period = parse_period("weekly", WEEK, demo.settings.timezone)
    return make_report(demo.store, demo_specs(), demo.settings, "weekly", period)


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), b""


def test_the_page_lists_the_report_and_downloads_its_pdf(chrome, demo, built):
    for old in chrome.downloads.iterdir():
        old.unlink()
    open_page(chrome, demo.server.url + "/reports", f"#report-run-{built.id}")
    card = chrome.find_element("id", f"report-run-{built.id}").text
    assert f"Weekly · {WEEK}" in card and built.sha256 in card and "not mailed" in card
    chrome.find_element("id", f"report-download-{built.id}").click()

    def downloaded():
        files = list(chrome.downloads.iterdir())
        done = [p for p in files if p.name == f"weekly-{WEEK}.pdf"]
        return done[0] if done and not any(p.suffix == ".crdownload" for p in files) else None

    path = wait_until(downloaded, 20, "the report's download")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == built.sha256
    assert severe_console_messages(chrome) == []
    nav = chrome.find_element("id", "nav-reports")
    assert nav.text == "Reports"


def test_the_download_is_the_archived_pdf_with_its_content_type(demo, built):
    status, content_type, body = fetch(f"{demo.server.url}/reports/download/{built.id}")
    assert (status, content_type) == (200, "application/pdf")
    assert body == (demo.settings.data_dir / built.path).read_bytes() and body.startswith(b"%PDF-")


def test_screenshots_at_1280_and_390(laptop, phone, demo, built):
    open_page(laptop, demo.server.url + "/reports", f"#report-run-{built.id}")
    screenshot(laptop, "reports-page-1280")
    open_page(phone, demo.server.url + "/reports", f"#report-run-{built.id}")
    shot = screenshot(phone, "reports-page-390")
    fit = overflow(phone)
    assert phone.execute_script("return document.documentElement.clientWidth") == PHONE[0]
    assert fit["scroll"] <= fit["client"], f"/reports is {fit['scroll']} px wide ({shot}): {fit['out']}"


def test_only_the_archives_pdfs_are_served(demo, built):
    data_dir = demo.settings.data_dir
    secret = data_dir / "secret.pdf"  # in the data dir, outside its reports/ archive
    secret.write_bytes(b"%PDF-1.7 not a report")
    outside = demo.store.record_report_run("weekly", "2026-W01", status="ok", started_at=0, finished_at=1,
                                           path="reports/../secret.pdf", sha256="0" * 64)
    link = data_dir / "reports" / "weekly" / "2026-W02.pdf"
    link.symlink_to(secret)
    linked = demo.store.record_report_run("weekly", "2026-W02", status="ok", started_at=0, finished_at=1,
                                          path="reports/weekly/2026-W02.pdf", sha256="0" * 64)
    try:
        for run_id in (outside, linked, 999_999):
            assert fetch(f"{demo.server.url}/reports/download/{run_id}")[0] == 404, run_id
        for raw in ("..%2Fsecret.pdf", "..%2F..%2Fetc%2Fpasswd", "-1", "1.0"):
            status, _type, body = fetch(f"{demo.server.url}/reports/download/{raw}")
            assert b"not a report" not in body and (status == 404 or b"%PDF" not in body), raw
    finally:
        link.unlink()
        os.remove(secret)
