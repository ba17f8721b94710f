"""Building a report from the Reports page: an editor logged in through the login form
builds one in a real Chromium (Build, the progress, the new card, a bad period's
one-line error, and who is building while another process holds the kind's lock) and mails
one to a real SMTP server (aiosmtpd); a viewer sees no form, and the same callback POSTed as a viewer is
refused on the server (403) and builds nothing, while an editor's POST builds through
the report builder the composition root wires (``wiring.report_service``), audited with the user. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import shutil

import pytest
import requests

from sloboard import credentials
from sloboard.settings import Settings
from sloboard.store import Store
from sloboard.wiring import report_service
from tests.scheduler_store import MONDAY_MORNING
from tests.smtp_inbox import free_port, smtp_server

from .browser import SPECS_DIR, DashboardServer, screenshot, severe_console_messages, start_chrome, wait_until
from .test_dashboard_phone import PHONE, open_page

pytestmark = pytest.mark.integration
PASSWORD = "report builder 2026!"
RECIPIENTS = ["cto@example.com", "vp-eng@example.com"]
CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def inbox():
    """The SMTP server the dashboard mails weekly reports through."""
    port = free_port()
    with smtp_server(port) as received:
        received.port = port
        yield received


@pytest.fixture(scope="module")
def site(tmp_path_factory, inbox):
    """The dashboard with an editor (ed) and a viewer (vi), no anonymous role, and mail
    for weekly reports only."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("SLOBOARD_AUTH__ANONYMOUS_ROLE", raising=False)
        specs = tmp_path_factory.mktemp("specs")
        for name in ("checkout.yaml", "prometheus.yaml"):
            shutil.copy(SPECS_DIR / name, specs / name)
        data = tmp_path_factory.mktemp("data")
        settings = Settings(data_dir=data, specs_dir=specs, timezone="Europe/Berlin",
                            auth={"trusted_proxies": ["127.0.0.1"]},
                            reports={"recipients": {"weekly": RECIPIENTS},
                                     "smtp": {"host": "127.0.0.1", "port": inbox.port, "tls": "none",
                                              "retry_attempts": 1, "timeout_s": 10}})
        store = Store.open(f"sqlite:///{data / 'reports.db'}")
        for name, role in (("ed", "editor"), ("vi", "viewer")):
            store.add_user(name, role, credentials.hash_password(PASSWORD), actor="test")
        server = DashboardServer.start(settings, store=store, clock=lambda: MONDAY_MORNING, reports=report_service())
    yield server, store
    server.stop()
    store.close()


def _build_post(server, user: str, period: str, *, send: bool = False, kind: str = "weekly") -> requests.Response:
    """The Build (or Build and send) callback as the page sends it, from ``user`` (named by
    the trusted proxy, as a login would)."""
    button = "report-send" if send else "report-build"
    body = {
        "output": "..report-action-result.children...reports-list.children..",
        "outputs": [{"id": "report-action-result", "property": "children"}, {"id": "reports-list", "property": "children"}],
        "inputs": [{"id": "report-build", "property": "n_clicks", "value": None if send else 1},
                   {"id": "report-send", "property": "n_clicks", "value": 1 if send else None}],
        "state": [{"id": "report-kind", "property": "value", "value": kind},
                  {"id": "report-period", "property": "value", "value": period}],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    return requests.post(server.url + CALLBACK, json=body, timeout=120,
                         headers={"X-Forwarded-User": user, "Origin": server.url})


def test_a_viewers_build_is_refused_on_the_server_and_an_editors_builds(site):
    server, store = site
    refused = _build_post(server, "vi", "2026-W45")
    assert (refused.status_code, refused.text) == (403, "not allowed: this needs the editor role (you are viewer)\n")
    assert [r for r in store.report_runs() if r.period == "2026-W45"] == []

    built = _build_post(server, "ed", "2026-W45")
    assert built.status_code == 200, built.text
    [run] = [r for r in store.report_runs() if r.period == "2026-W45"]
    assert (run.kind, run.status, run.delivery_status) == ("weekly", "ok", "none")
    _, words, link = built.json()["response"]["report-action-result"]["children"]["props"]["children"]
    assert words == f" Weekly executive report 2026-W45, SHA-256 {run.sha256[:16]}… "
    assert link["props"]["href"] == f"/reports/download/{run.id}"
    [audited] = [e for e in store.audit_entries(action="report.archive") if e.payload["run"] == run.id]
    assert audited.actor == "user:ed" and audited.payload["sha256"] == run.sha256

    assert _error(_build_post(server, "ed", "2026-45")) == (
        "period '2026-45' is not a week: weekly reports take a period like 2026-W47")
    assert _error(_build_post(server, "ed", "2026-10", send=True, kind="monthly")).startswith(
        "no recipients for monthly reports: set reports.recipients.monthly")
    assert {r.period for r in store.report_runs()} == {"2026-W45"}


def test_an_editor_builds_and_sends_and_the_mail_arrives_once(site, inbox):
    server, store = site
    sent = _build_post(server, "ed", "2026-W44", send=True)
    [run] = [r for r in store.report_runs() if r.period == "2026-W44"]
    assert (run.delivery_status, run.recipients) == ("sent", tuple(RECIPIENTS))
    _, words, _ = sent.json()["response"]["report-action-result"]["children"]["props"]["children"]
    assert words.endswith(f"…; mailed to {', '.join(RECIPIENTS)} ")
    mails = [(to, m) for to, m in inbox.messages if m["Subject"] == "sloboard weekly report 2026-W44"]
    assert [sorted(to) for to, _ in mails] == [RECIPIENTS]


def _error(answer: requests.Response) -> str:
    shown = answer.json()["response"]["report-action-result"]["children"]["props"]
    assert shown["id"] == "report-action-error", shown
    return shown["children"]


# Sets the box's value as typing does, in one step: keys typed while a re-render (after
# Selenium's clear) lands can end up in another order on a busy machine.
SET_VALUE = """
const box = document.getElementById('report-period');
Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(box, arguments[0]);
box.dispatchEvent(new Event('input', {bubbles: true}));
"""


def _type_period(driver, text: str) -> None:
    driver.execute_script(SET_VALUE, text)
    assert driver.find_element("id", "report-period").get_attribute("value") == text


def _log_in(driver, server, user: str) -> None:
    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    driver.find_element("id", "user").send_keys(user)
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("css selector", "form.login button").click()
    wait_until(lambda: "/login" not in driver.current_url, what=f"the login of {user}")


@pytest.mark.parametrize("width", [1280, PHONE[0]])
def test_an_editor_builds_from_the_page_and_a_viewer_sees_no_form(site, tmp_path, width):
    server, store = site
    driver = start_chrome(tmp_path, width=max(width, 500), height=900)
    if width < 500:  # a desktop window is at least 500 px wide; a phone's viewport is what the device says
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
    try:
        _log_in(driver, server, "ed")
        open_page(driver, server.url + "/reports", "#report-builder")
        assert driver.find_element("id", "report-period").get_attribute("placeholder") == "2026-W47"
        assert "the last complete period, 2026-W47" in driver.find_element("id", "report-period-hint").text
        period = "2026-W46" if width == 1280 else "2026-W43"
        _type_period(driver, period)
        driver.find_element("id", "report-build").click()
        done = wait_until(lambda: driver.find_elements("id", "report-action-done"), 120, "the build to finish")
        [run] = [r for r in store.report_runs() if r.period == period]
        assert f"Weekly executive report {period}" in done[0].text
        wait_until(lambda: driver.find_elements("id", f"report-run-{run.id}"), what="the new report's card")
        screenshot(driver, f"reports-editor-built-{width}")

        _type_period(driver, "last week")
        driver.find_element("id", "report-build").click()
        error = wait_until(lambda: driver.find_elements("id", "report-action-error"), 60, "the period error")
        assert error[0].text == ("period 'last week' is not a week: weekly reports take a period like 2026-W47")
        screenshot(driver, f"reports-editor-error-{width}")
        assert severe_console_messages(driver) == []

        _log_in(driver, server, "vi")
        open_page(driver, server.url + "/reports", f"#report-run-{run.id}")
        assert driver.find_elements("id", "report-builder") == [] and driver.find_elements("id", "report-build") == []
        screenshot(driver, f"reports-viewer-{width}")
    finally:
        driver.quit()


def test_a_build_while_another_process_builds_the_kind_says_who_and_builds_nothing(site, tmp_path):
    server, store = site
    other = Store.open(store.url)  # another process's connection to the dashboard's database
    driver = start_chrome(tmp_path, width=1280, height=900)
    try:
        _log_in(driver, server, "ed")
        open_page(driver, server.url + "/reports", "#report-builder")
        with other.lock("report:weekly", "scheduler-host:4242"):
            _type_period(driver, "2026-W40")
            driver.find_element("id", "report-build").click()
            busy = wait_until(lambda: driver.find_elements("id", "report-action-busy"), 60, "the busy message")
            assert busy[0].text == "a weekly report is being built by scheduler-host:4242; try again in a minute"
            screenshot(driver, "reports-editor-busy-1280")
        assert [r for r in store.report_runs() if r.period == "2026-W40"] == []
        assert severe_console_messages(driver) == []
    finally:
        driver.quit()
        other.close()
