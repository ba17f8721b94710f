"""Login in front of every page and Dash route, over a real HTTP server on loopback:
the app's own routes enumerated, sessions that expire, the throttle, CSRF and the
cross-site check, security headers, the trusted proxy, and no secret in logs or store."""

from __future__ import annotations

import logging
import re
import shutil

import dash
import pytest
import requests
import sqlalchemy as sa

from sloboard import credentials
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store

from .browser import SPECS_DIR, DashboardServer

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery 77"
PUBLIC = {"healthz", "readyz", "metrics", "login", "logout"}


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.delenv("SLOBOARD_AUTH__ANONYMOUS_ROLE", raising=False)
        specs_dir = tmp_path_factory.mktemp("specs")
        shutil.copy(SPECS_DIR / "checkout.yaml", specs_dir / "checkout.yaml")
        shutil.copy(SPECS_DIR / "prometheus.yaml", specs_dir / "prometheus.yaml")
        data = tmp_path_factory.mktemp("data")
        settings = Settings(data_dir=data, specs_dir=specs_dir, auth={"trusted_proxies": ["127.0.0.1"]})
        clock = Clock()
        db_url = f"sqlite:///{data / 'login.db'}"
        store = Store.open(db_url, clock=clock)
        store.sync_slos(load_specs([specs_dir]).slos)
        store.add_user("ana", "viewer", credentials.hash_password(PASSWORD), actor="test")
        server = DashboardServer.start(settings, store=store, clock=clock)
    yield server, store, clock, db_url
    server.stop()
    store.close()


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(f"{url}/login", timeout=30)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(url: str, user: str = "ana", password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    session = requests.Session()
    token = _csrf(session, url)
    answer = session.post(f"{url}/login?next=/slos", data={"user": user, "password": password, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    return session, answer


def test_every_route_of_the_app_needs_a_login_or_a_token(site):
    """Flask's URL map and Dash's pages, from the app itself: no new route can slip past."""
    server = site[0]
    app = server.server.app
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        paths += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    paths += [("GET", page["path"]) for page in dash.page_registry.values()]
    paths += [("GET", "/_dash-component-suites/dash/dcc/dash_core_components.js")]
    assert ("POST", "/_dash-update-component") in paths and ("GET", "/_dash-layout") in paths
    for method, path in paths:
        answer = requests.request(method, f"{server.url}{path}", allow_redirects=False, timeout=30, json={})
        assert answer.status_code in (302, 401), (method, path, answer.status_code)
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith("/login?next="), (method, path)
        assert "checkout" not in answer.text, (method, path)  # no data to anonymous requests
    for public in ("/healthz", "/readyz", "/metrics", "/login"):
        assert requests.get(f"{server.url}{public}", timeout=30).status_code == 200, public


def test_a_login_opens_the_pages_and_sets_a_safe_cookie_and_headers(site):
    server, store, _, _ = site
    session, answer = _login(server.url)
    assert answer.status_code == 302 and answer.headers["Location"] == "/slos"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = session.get(f"{server.url}/", timeout=30)
    assert page.status_code == 200 and session.get(f"{server.url}/_dash-layout", timeout=30).status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert store.audit_entries(action="login.ok", limit=1)[0].payload == {"user": "ana", "address": "127.0.0.1"}


def test_a_callback_post_from_another_site_is_refused(site):
    server = site[0]
    session, _ = _login(server.url)
    url = f"{server.url}/_dash-update-component"
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        assert session.post(url, json={}, headers=headers, timeout=30).status_code == 403, headers
    assert session.post(url, data="output=x", timeout=30,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 403
    same = session.post(url, json={}, headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin"}, timeout=30)
    assert same.status_code not in (401, 403)


def test_a_login_form_without_its_csrf_token_is_refused(site):
    server = site[0]
    answer = requests.post(f"{server.url}/login", data={"user": "ana", "password": PASSWORD}, timeout=30,
                           allow_redirects=False)
    assert answer.status_code == 400 and "the form expired" in answer.text


def test_sessions_end_when_idle_and_on_logout(site):
    server, _, clock, _ = site
    session, _ = _login(server.url)
    assert session.get(f"{server.url}/", timeout=30, allow_redirects=False).status_code == 200
    clock.now += 31 * 60
    assert session.get(f"{server.url}/", timeout=30, allow_redirects=False).status_code == 302
    session, _ = _login(server.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{server.url}/logout", timeout=30).text)
    assert session.post(f"{server.url}/logout", data={"csrf_token": token.group(1)}, timeout=30,
                        allow_redirects=False).status_code == 302
    assert session.get(f"{server.url}/", timeout=30, allow_redirects=False).status_code == 302


def test_a_trusted_proxy_names_the_user_and_an_unknown_one_is_refused(site):
    server = site[0]
    assert requests.get(f"{server.url}/", headers={"X-Forwarded-User": "ana"}, timeout=30,
                        allow_redirects=False).status_code == 200
    ghost = requests.get(f"{server.url}/", headers={"X-Forwarded-User": "ghost"}, timeout=30, allow_redirects=False)
    assert ghost.status_code == 403 and "not a sloboard user" in ghost.text


def test_a_login_with_a_name_longer_than_any_user_is_refused_and_audited_bounded(pg_url, tmp_path):
    """PostgreSQL checks column lengths (SQLite does not): a 300-character name once failed
    the audit insert with a 500 instead of answering 401."""
    settings = Settings(data_dir=tmp_path / "data", specs_dir=SPECS_DIR)
    with Store.open(pg_url) as store:
        server = DashboardServer.start(settings, store=store, clock=Clock())
        try:
            name = "n" * 300
            _session, answer = _login(server.url, user=name)
            assert answer.status_code == 401 and "wrong user name or password" in answer.text
            (actor, payload), = [(e.actor, e.payload) for e in store.audit_entries(action="login.failed")]
            assert actor == "user:" + "n" * credentials.MAX_USER_NAME_LENGTH + "..." and payload["user"] == actor[5:]
        finally:
            server.stop()


def test_five_failures_throttle_the_user_and_the_address_for_15_minutes(site, caplog):
    server, store, clock, db_url = site
    clock.now += 3600
    for _ in range(5):
        assert _login(server.url, password="wrong password here")[1].status_code == 401
    refused = _login(server.url)[1]
    assert refused.status_code == 429 and "too many failed logins for this user or address" in refused.text
    assert _login(server.url, user="bo")[1].status_code == 429  # the same address
    clock.now += 15 * 60 + 1
    assert _login(server.url)[1].status_code == 302
    actions = {e.action for e in store.audit_entries(limit=None)}
    assert {"login.ok", "login.failed", "login.throttled", "logout", "login.proxy"} <= actions


def test_no_password_or_token_reaches_a_log_line_or_the_store(site, caplog):
    server, store, clock, db_url = site
    clock.now += 3600
    token = credentials.new_token()
    store.add_token("ci", credentials.token_digest(token), ("status:read",), clock() + 3600, actor="test")
    with caplog.at_level(logging.DEBUG):
        session, answer = _login(server.url)
        assert answer.status_code == 302
        _login(server.url, password=PASSWORD + "x")
        assert requests.get(f"{server.url}/api/v1/slos", headers={"Authorization": f"Bearer {token}"},
                            timeout=30).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            dumped = " ".join(str(v) for t in sa.inspect(conn).get_table_names()
                              for row in conn.exec_driver_sql(f'SELECT * FROM "{t}"') for v in row)
    finally:
        engine.dispose()
    for secret in (PASSWORD, PASSWORD + "x", token, token[len(credentials.TOKEN_PREFIX):]):
        assert secret not in logged and secret not in dumped
