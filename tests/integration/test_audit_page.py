"""The Audit page in a real Chromium, logged in through the login form: an admin sees the
chain's state and the entries (filtered, paged), a row edited in SQL turns the state into
the problem ``audit verify`` names, the target filter matches from the target's start, and a
viewer or an editor is refused. Screenshots go to
tests/artifacts/audit-*.png."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest
import requests
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from sloboard import credentials
from sloboard.settings import Settings
from sloboard.store import Store

from .browser import (  # noqa: F401 (chrome is a fixture)
    SPECS_DIR, DashboardServer, chrome, screenshot, severe_console_messages, wait_for_callbacks, wait_until)

pytestmark = pytest.mark.integration
PASSWORD = "audit page password 42"
NOTES = 120  # with the logins and spec entries: three pages of 50


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit-page")
    specs = folder / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs / name)
    db_url = f"sqlite:///{folder / 'audit.db'}"
    clock = lambda: 1_800_000_000.0  # noqa: E731
    store = Store.open(db_url, clock=clock)
    for name, role in (("ada", "admin"), ("eve", "editor"), ("vic", "viewer")):
        store.add_user(name, role, credentials.hash_password(PASSWORD), actor="cli:root")
    for i in range(NOTES):
        store.append_audit("cli:root", "note", {"target": f"note:{i}"})
    run = store.start_run("prometheus", "sli:checkout/availability", 0, 600)
    store.finish_run(run, status="failed", samples_written=0, error="http://127.0.0.1:9: connection refused")
    settings = Settings(data_dir=folder / "data", specs_dir=specs, auth={"anonymous_role": None})
    server = DashboardServer.start(settings, store=store, clock=clock)
    yield server, store, db_url
    server.stop()
    store.close()


def _log_in(driver, url: str, user: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{url}/login?next=/audit")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def _rows(driver) -> list[list[str]]:
    cells = driver.find_elements(By.CSS_SELECTOR, "#audit-table tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in cells][1:]


def _page_info(driver) -> str:
    return driver.find_element(By.ID, "audit-page-info").text


def test_an_admin_sees_the_chain_state_and_filters_and_pages_the_entries(chrome, site):
    server, store, _ = site
    _log_in(chrome, server.url, "ada")
    wait_until(lambda: "page 1 of" in _page_info(chrome), what="the audit entries")
    wait_for_callbacks(chrome)
    total = len(store.audit_entries(limit=None))
    assert _page_info(chrome) == f"page 1 of {-(-total // 50)} · {total} matching entries"
    status = chrome.find_element(By.ID, "audit-status").text
    assert "Chain intact" in status and "audit log intact" in status and "records intact: 3 " in status
    newest = store.audit_entries(limit=1)[0]
    assert f"head: entry {newest.id}, hash {newest.hash}" in status
    rows = _rows(chrome)
    assert len(rows) == 50 and rows[0][0] == str(newest.id) and rows[0][3] == newest.action
    screenshot(chrome, "audit-admin")

    assert not chrome.find_element(By.ID, "audit-newer").is_enabled()  # already the newest page
    chrome.find_element(By.ID, "audit-older").click()
    wait_until(lambda: _page_info(chrome).startswith("page 2 of"), what="the second page")
    assert _rows(chrome)[0][0] == str(newest.id - 50) and chrome.find_element(By.ID, "audit-newer").is_enabled()

    action = chrome.find_element(By.ID, "audit-action")
    action.send_keys("collector\n")
    wait_until(lambda: _page_info(chrome) == "page 1 of 1 · 1 matching entries", what="the filtered entries")
    (row,) = _rows(chrome)
    assert row[2:5] == ["collector:prometheus", "collector.failed", "query:sli:checkout/availability"]
    action.clear()
    action.send_keys("\n")
    target = chrome.find_element(By.ID, "audit-target")
    target.send_keys("note:11\n")  # note:11 and note:110..119: the targets that start with it
    wait_until(lambda: _page_info(chrome) == "page 1 of 1 · 11 matching entries", what="the target filter")
    assert sorted(row[4] for row in _rows(chrome)) == ["note:11", *(f"note:11{i}" for i in range(10))]
    screenshot(chrome, "audit-target-filter")
    for typed in ("te:11", "note:1_"):  # not inside the target; a typed _ is no wildcard
        target.clear()
        target.send_keys(f"{typed}\n")
        wait_until(lambda: _page_info(chrome) == "page 1 of 1 · 0 matching entries", what=f"no target {typed}")
    chrome.find_element(By.ID, "audit-from").send_keys("not a time\n")
    wait_until(lambda: chrome.find_elements(By.ID, "audit-filter-error"), what="the bad time's message")
    assert chrome.find_element(By.ID, "audit-filter-error").text.startswith("From: 'not a time' is not a time")
    assert not [m for m in severe_console_messages(chrome) if "favicon" not in m]


@contextmanager
def _edited(db_url: str, entry_id: int, column: str, value: str, restored: str):
    """Audit entry ``entry_id`` with ``column`` set to ``value`` in SQL, as a tamperer would,
    and set back to ``restored`` afterwards (the site is shared by the module's tests)."""
    engine = sa.create_engine(db_url)
    edit = sa.text(f"UPDATE audit_log SET {column} = :value WHERE id = :id")
    try:
        with engine.begin() as conn:
            conn.execute(edit, {"value": value, "id": entry_id})
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(edit, {"value": restored, "id": entry_id})
        engine.dispose()


def test_an_edited_row_shows_as_the_problem_verify_names(chrome, site):
    server, store, db_url = site
    victim = store.audit_entries(limit=None)[-10]
    with _edited(db_url, victim.id, "actor", "someone else", victim.actor):
        _log_in(chrome, server.url, "ada")
        wait_until(lambda: "problems found" in chrome.find_element(By.ID, "audit-status").text, what="the broken chain")
        findings = chrome.find_element(By.ID, "audit-findings").text
        assert f"audit log broken at entry {victim.id} ({victim.action} by someone else" in findings
        assert "altered, its content no longer gives its hash" in findings
        screenshot(chrome, "audit-broken")


def test_an_edited_target_column_shows_as_the_problem_verify_names(chrome, site):
    server, store, db_url = site
    victim = store.audit_entries(limit=None)[-20]
    with _edited(db_url, victim.id, "target", "note:elsewhere", victim.payload["target"]):
        _log_in(chrome, server.url, "ada")
        wait_until(lambda: "problems found" in chrome.find_element(By.ID, "audit-status").text,
                   what="the target problem")
        findings = chrome.find_element(By.ID, "audit-findings").text
        assert "audit log intact" in findings  # the column is not hashed: the chain still holds
        assert f"target column: entry {victim.id} ({victim.action} at " in findings
        assert f"target column 'note:elsewhere', its payload names '{victim.payload['target']}'" in findings


@pytest.mark.parametrize("user, role", [("vic", "viewer"), ("eve", "editor")])
def test_a_viewer_or_an_editor_is_refused(chrome, site, user, role):
    server = site[0]
    _log_in(chrome, server.url, user)
    wait_until(lambda: "not allowed" in chrome.find_element(By.TAG_NAME, "body").text, what="the refusal")
    assert chrome.find_element(By.TAG_NAME, "body").text.strip() == (
        f"not allowed: this needs the admin role (you are {role})")
    session = requests.Session()
    session.cookies.update({c["name"]: c["value"] for c in chrome.get_cookies()})
    assert session.get(f"{server.url}/audit", timeout=30).status_code == 403
    # Inside the app (a link to /audit from another page) the layout says so too.
    chrome.get(f"{server.url}/")
    wait_for_callbacks(chrome)
    chrome.execute_script("window.history.pushState({}, '', '/audit');"
                          "window.dispatchEvent(new PopStateEvent('popstate'))")
    wait_until(lambda: chrome.find_elements(By.ID, "not-allowed"), what="the page's own refusal")
    assert not chrome.find_elements(By.ID, "audit-table")


def test_a_pasted_anchor_past_the_end_shows_the_log_cut_short(chrome, site):
    server, store, _ = site
    head = store.audit_entries(limit=1)[0]
    _log_in(chrome, server.url, "ada")
    wait_until(lambda: "Chain intact" in chrome.find_element(By.ID, "audit-status").text, what="the chain state")
    chrome.find_element(By.CSS_SELECTOR, "details summary").click()
    chrome.find_element(By.ID, "audit-anchor").send_keys('{"id": %d, "hash": "%s"}' % (head.id + 5, "ab" * 32))
    chrome.find_element(By.ID, "audit-check").click()
    wait_until(lambda: "problems found" in chrome.find_element(By.ID, "audit-status").text, what="the anchor check")
    findings = chrome.find_element(By.ID, "audit-findings").text
    assert (f"audit log truncated: the anchor names entry {head.id + 5} (hash abababababab...), which is gone"
            in findings)
    anchor = chrome.find_element(By.ID, "audit-anchor")
    anchor.clear()
    anchor.send_keys("not json")
    chrome.find_element(By.ID, "audit-check").click()
    wait_until(lambda: chrome.find_elements(By.ID, "audit-anchor-error"), what="the bad anchor's message")
    assert chrome.find_element(By.ID, "audit-anchor-error").text.startswith('Anchor: an anchor is JSON like {"id": 42')
