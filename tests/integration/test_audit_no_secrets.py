"""A whole session with every secret set, and then no secret anywhere: a login (and a
wrong password), a store token and a legacy settings token used on the API, /metrics
with its token, a report mailed through a real SMTP server (aiosmtpd) with a login, and
`sloboard collect` from a real Prometheus, all on PostgreSQL through a URL that carries a
password. Every log record (raw and as the JSON lines written), the collect command's
output, the mail, every row of every table and the data dir's files are searched for the
passwords, the tokens, the session key and the database password."""

from __future__ import annotations

import io
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reports.periods import parse_period
from reports.publish import publish
from sloboard import credentials, log_lines
from sloboard.settings import Settings
from sloboard.store import Store

from . import prom
from .browser import SPECS_DIR, DashboardServer
from .sloboard_cli import cli_env, run_sloboard
from .test_login import _login
from .test_report_delivery import HEADLINE, HTML, USER, certificate, smtp_server  # noqa: F401 (fixtures)
from .test_report_delivery import PASSWORD as SMTP_PASSWORD  # the password its SMTP server takes

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]
USER_PASSWORD = "correct horse battery 77"
WRONG_PASSWORD = "correct horse battery 78"
DB_PASSWORD = "db-Pa55-4c1e9"
LEGACY_TOKEN = "legacy-api-token-5e0f33a1"
SESSION_KEY = "session-key-7a1c0e5d9b3f2a68"
METRICS_TOKEN = "metrics-token-2f9e4b7c"
PROMETHEUS_TOKEN = "prom-bearer-6d2a8c10"
STEP = 60


def _dump(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return "\n".join(repr(tuple(row)) for table in sa.inspect(conn).get_table_names()
                             for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"'))
    finally:
        engine.dispose()


def test_a_full_session_leaves_no_secret_in_logs_store_or_mail(
        pg_url, prometheus_with, smtp_server, certificate, tmp_path, caplog):  # noqa: F811
    # PostgreSQL here trusts loopback, so a password in the URL is sent and ignored: as secret as a real one.
    db_url = make_url(pg_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    assert DB_PASSWORD in db_url
    now = int(time.time()) // STEP * STEP
    start, steps = now - 3 * 3600, 180
    rng = np.random.default_rng(11)
    server = prometheus_with([
        prom.counter_series("http_requests_total", {"service": "checkout", "code": code}, start,
                            rng.integers(lo, hi, steps + 1))
        for code, lo, hi in (("200", 50, 100), ("500", 0, 3))])
    inbox, smtp_port = smtp_server("starttls")
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs / name)
    data = tmp_path / "data"
    secrets = {"prometheus__bearer_token": PROMETHEUS_TOKEN, "auth__secret_key": SESSION_KEY,
               "auth__metrics_token": METRICS_TOKEN, "reports__smtp__password": SMTP_PASSWORD}
    smtp = {"host": "127.0.0.1", "port": smtp_port, "user": USER, "password": SMTP_PASSWORD, "tls": "starttls",
            "from_address": "sloboard@example.com", "ca_file": str(certificate[0]), "timeout_s": 5}
    settings = Settings(data_dir=data, specs_dir=specs, database_url=db_url, api_tokens={"old-ci": LEGACY_TOKEN},
                        prometheus={"url": server.url, "bearer_token": PROMETHEUS_TOKEN},
                        auth={"secret_key": SESSION_KEY, "metrics_token": METRICS_TOKEN, "anonymous_role": None},
                        reports={"recipients": {"weekly": ["cto@example.com"]}, "smtp": smtp})
    stream = io.StringIO()
    handler = log_lines.configure(settings, stream, level=logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    store = Store.open(db_url)
    dashboard = None
    try:
        store.add_user("ana", "admin", credentials.hash_password(USER_PASSWORD), actor="cli:root")
        token = credentials.new_token()
        store.add_token("ci", credentials.token_digest(token), ("status:read",), time.time() + 3600, actor="cli:root")
        dashboard = DashboardServer.start(settings, store=store, clock=time.time)
        url = dashboard.url

        assert _login(url, password=WRONG_PASSWORD)[1].status_code == 401
        session, answer = _login(url, password=USER_PASSWORD)
        assert answer.status_code == 302
        assert session.get(f"{url}/audit", timeout=30).status_code == 200
        for bearer in (token, LEGACY_TOKEN):
            assert requests.get(f"{url}/api/v1/slos", headers={"Authorization": f"Bearer {bearer}"},
                                timeout=30).status_code == 200
        assert requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                            timeout=30).status_code == 200

        run = publish(store, data_dir=data, reports=settings.reports, html=HTML, headline=HEADLINE, send=True,
                      period=parse_period("weekly", "2026-W47", "UTC"))
        assert run.delivery_status == "sent" and len(inbox.messages) == 1

        env = cli_env(data, server.url, specs_dir=specs, database_url=db_url, **secrets)
        collected = run_sloboard(["collect", "--since", "3h"], env, tmp_path)
        assert collected.returncode == 0, collected.stderr
        written = {r.query_key: r.samples_written for r in store.runs(limit=100)}
        assert written["sli:checkout/availability"] > 0, written
    finally:
        if dashboard is not None:
            dashboard.stop()
        store.close()
        logging.getLogger().removeHandler(handler)

    places = {
        "log records": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
        "JSON log lines": stream.getvalue(),
        "collect output": collected.stdout + collected.stderr,
        "mail": inbox.messages[0][1].as_string(),
        "store": _dump(db_url),
        "data dir": "\n".join(p.read_bytes().decode("latin-1") for p in Path(data).rglob("*") if p.is_file()),
    }
    assert '"event": "audit.head"' in places["JSON log lines"] and "login.ok" in places["store"]
    for secret in (USER_PASSWORD, WRONG_PASSWORD, token, token[len(credentials.TOKEN_PREFIX):], LEGACY_TOKEN,
                   DB_PASSWORD, SMTP_PASSWORD, SESSION_KEY, METRICS_TOKEN, PROMETHEUS_TOKEN):
        for where, text in places.items():
            assert secret not in text, f"{secret!r} is in the {where}"
