"""Log lines are JSON objects with time, level, event, actor and objects, and never carry a
secret of the settings, a URL's password or a bearer token (sloboard/log_lines.py)."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest

from sloboard.log_lines import MASK, configure, secret_values
from sloboard.settings import Settings

DB_PASSWORD = "pg-pass-Zq81"
SMTP_PASSWORD = "smtp-pass-Yh22"
TOKEN = "sbt_ci_token_Xw7mN3pQ"
SESSION_KEY = "session-key-0123456789abcdef"


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path, database_url=f"postgresql+psycopg://sloboard:{DB_PASSWORD}@127.0.0.1:5432/x",
                    reports={"smtp": {"host": "127.0.0.1", "password": SMTP_PASSWORD}}, api_tokens={"ci": TOKEN},
                    auth={"secret_key": SESSION_KEY})


@pytest.fixture
def lines(settings):
    stream = io.StringIO()
    handler = configure(settings, stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def test_the_settings_secrets_and_the_password_inside_the_database_url_are_known(settings):
    found = secret_values(settings)
    assert {DB_PASSWORD, SMTP_PASSWORD, TOKEN, SESSION_KEY} <= found
    assert not any("127.0.0.1" in secret for secret in found)  # of the URL, only its password


def test_a_json_message_gives_event_actor_and_objects(lines):
    logging.getLogger("sloboard.audit").info(json.dumps({"event": "audit.head", "actor": "user:ana", "id": 7,
                                                         "hash": "ab" * 32}))
    (line,) = lines()
    assert set(line) == {"time", "level", "event", "actor", "objects", "logger", "pid"} and line["pid"] == os.getpid()
    assert (line["level"], line["event"], line["actor"], line["logger"]) == ("info", "audit.head", "user:ana",
                                                                             "sloboard.audit")
    assert line["objects"] == {"id": 7, "hash": "ab" * 32}
    assert line["time"].endswith("Z") and len(line["time"]) == len("2026-12-02T18:00:00.000Z")


def test_prose_and_extra_fields_and_errors(lines):
    log = logging.getLogger("dashboard.spec_reload")
    log.warning("kept the last good SLOs for %s", "checkout.yaml")
    log.info("reloaded", extra={"event": "spec.reload", "actor": "dashboard", "objects": {"slos": 3}})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    prose, extra, error = lines()
    assert (prose["event"], prose["actor"], prose["objects"], prose["message"]) == (
        "dashboard.spec_reload", None, {}, "kept the last good SLOs for checkout.yaml")
    assert (extra["event"], extra["actor"], extra["objects"]) == ("spec.reload", "dashboard", {"slos": 3})
    assert error["level"] == "error" and "RuntimeError: boom" in error["error"]


def test_no_secret_reaches_a_line(lines):
    log = logging.getLogger("sloboard.test")
    log.error("store down: postgresql+psycopg://sloboard:%s@127.0.0.1:5432/x refused", DB_PASSWORD)
    log.warning(json.dumps({"event": "smtp.login", "password": SMTP_PASSWORD, "nested": [{"token": TOKEN}]}))
    log.info("key %s; redis://:cache-pass-77@127.0.0.1:6379/0; Authorization: Bearer sbt_unknown_token_abc123",
             SESSION_KEY)
    text = "\n".join(json.dumps(line) for line in lines())
    for secret in (DB_PASSWORD, SMTP_PASSWORD, TOKEN, SESSION_KEY, "cache-pass-77", "sbt_unknown_token_abc123"):
        assert secret not in text
    first, second, third = lines()
    assert first["message"] == f"store down: postgresql+psycopg://sloboard:{MASK}@127.0.0.1:5432/x refused"
    assert second["objects"] == {"password": MASK, "nested": [{"token": MASK}]}
    assert third["message"] == f"key {MASK}; redis://:{MASK}@127.0.0.1:6379/0; Authorization: Bearer {MASK}"
