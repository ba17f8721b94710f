"""Report mail through a real SMTP server on loopback (aiosmtpd) with TLS and a login:
recipients, subject, bodies and the archived PDF; SMTP down, then up: sent exactly once;
the password in no log, no store row and no mail."""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from reports.delivery import Headline, deliver, deliver_pending
from reports.periods import parse_period
from reports.publish import publish
from sloboard.settings import ReportsSettings
from tests.missing import missing

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-Pa55word-9f2c"
USER = "reports@example.com"
RECIPIENTS = ["cto@example.com", "vp-eng@example.com"]
HEADLINE = Headline("11 of 12 SLOs met their objective; the biggest risk is checkout/latency.",
                    (("SLO attainment", "91.7 %"), ("Change failure rate", "4.1 % (elite)")))
HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Weekly</title></head>
<body data-title="sloboard weekly" data-period="2026-W47" data-report-id="weekly-2026-W47" data-generated="2026-11-23">
<h1>Weekly report 2026-W47</h1><p class="headline">11 of 12 SLOs met their objective.</p></body></html>"""


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl: ``(cert, key)``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("openssl is not on PATH (Debian: apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class Inbox:
    """aiosmtpd handler: keeps every accepted message with its envelope."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append(auth_data.login)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 235 or 535


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(certificate):
    """``start(tls, port=None) -> (inbox, port)``: an aiosmtpd server that requires TLS and a login."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing("aiosmtpd is not installed (pip install -e '.[test]')")
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    running = []

    def start(tls: str, port: int | None = None):
        inbox, port = Inbox(), port or _free_port()
        common = dict(hostname="127.0.0.1", port=port, authenticator=inbox.authenticate, auth_required=True)
        if tls == "implicit":
            # aiosmtpd cannot see TLS it did not start itself: AUTH is allowed over it explicitly.
            controller = Controller(inbox, ssl_context=context, auth_require_tls=False, **common)
        else:
            controller = Controller(inbox, tls_context=context, require_starttls=True, **common)
        controller.start()
        running.append(controller)
        return inbox, port

    yield start
    for controller in running:
        controller.stop()


def _reports(port: int, certificate, tls: str = "starttls", **smtp) -> ReportsSettings:
    return ReportsSettings(
        recipients={"weekly": RECIPIENTS},
        smtp={"host": "127.0.0.1", "port": port, "tls": tls, "user": USER, "password": PASSWORD,
              "from_address": "sloboard@example.com", "ca_file": str(certificate[0]), "timeout_s": 5,
              "retry_initial_s": 0.01, **smtp},
    )


def _publish(store, data_dir, reports, **options):
    return publish(store, data_dir=data_dir, reports=reports, period=parse_period("weekly", "2026-W47", "UTC"),
                   html=HTML, headline=HEADLINE, send=True, **options)


def _no_password_anywhere(store, caplog, *texts: str) -> None:
    runs = store.report_runs(limit=None)
    stored = repr(runs) + repr(store.audit_entries(limit=None))
    for where, text in [("log", caplog.text), ("store", stored), *((f"text {i}", t) for i, t in enumerate(texts))]:
        assert PASSWORD not in text, f"the SMTP password appears in the {where}"
    if store.is_sqlite:  # the database files themselves, WAL included
        database = Path(make_url(store.url).database)
        for path in (database, database.with_name(database.name + "-wal")):
            assert not path.exists() or PASSWORD.encode() not in path.read_bytes(), f"the password is in {path}"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_the_report_mail_arrives_with_the_archived_pdf(tls, smtp_server, certificate, store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    inbox, port = smtp_server(tls)
    run = _publish(store, tmp_path, _reports(port, certificate, tls))
    assert (run.delivery_status, run.delivery_attempts, run.delivery_error) == ("sent", 1, None)
    assert inbox.logins == [USER.encode()]
    [(envelope_to, message)] = inbox.messages
    assert envelope_to == RECIPIENTS
    assert message["Subject"] == "sloboard weekly report 2026-W47"
    assert message["From"] == "sloboard@example.com" and message["To"] == ", ".join(RECIPIENTS)
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (plain, html):
        assert HEADLINE.sentence in body and "91.7 %" in body and "Change failure rate" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "sloboard-weekly-2026-W47.pdf"
    archived = (tmp_path / "reports" / "weekly" / "2026-W47.pdf").read_bytes()
    sent = attachment.get_content()
    assert hashlib.sha256(sent).hexdigest() == hashlib.sha256(archived).hexdigest() == run.sha256
    _no_password_anywhere(store, caplog, message.as_string())


def test_smtp_down_then_up_delivers_exactly_once(smtp_server, certificate, store, tmp_path, caplog, clock):
    caplog.set_level(logging.DEBUG)
    port = _free_port()  # nothing listens here yet
    reports = _reports(port, certificate, retry_attempts=3)
    run = _publish(store, tmp_path, reports)
    assert run.delivery_status == "failed" and run.delivery_attempts == 1
    assert run.delivery_error.startswith(f"SMTP 127.0.0.1:{port}: ") and "refused" in run.delivery_error.lower()
    assert (tmp_path / run.path).is_file(), "the PDF stays archived"
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2 and all(f"127.0.0.1:{port}" in line for line in retries)

    inbox, _ = smtp_server("starttls", port)
    clock.advance(3600)
    [retried] = deliver_pending(store, data_dir=tmp_path, smtp=reports.smtp)
    assert (retried.id, retried.delivery_status, retried.delivery_attempts, retried.delivery_error) == (
        run.id, "sent", 2, None)
    assert retried.delivered_at == clock.now
    assert deliver_pending(store, data_dir=tmp_path, smtp=reports.smtp) == []
    assert deliver(store, run.id, data_dir=tmp_path, smtp=reports.smtp).delivery_status == "sent"
    assert len(inbox.messages) == 1, "sent exactly once"
    _no_password_anywhere(store, caplog)


def test_two_processes_retrying_at_once_send_once(smtp_server, certificate, open_store, tmp_path):
    inbox, port = smtp_server("starttls")
    first, second = open_store(), open_store()
    down = _reports(_free_port(), certificate, retry_attempts=1)
    _publish(first, tmp_path, down)
    up = _reports(port, certificate).smtp
    results: list = []
    workers = [threading.Thread(target=lambda s=s: results.append(deliver_pending(s, data_dir=tmp_path, smtp=up)))
               for s in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(inbox.messages) == 1
    assert [r.delivery_status for batch in results for r in batch] == ["sent"], "one process sent it, the other left it"


def test_a_wrong_password_fails_at_once_and_is_not_logged(smtp_server, certificate, store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    inbox, port = smtp_server("starttls")
    run = _publish(store, tmp_path, _reports(port, certificate, password="wrong-" + PASSWORD, retry_attempts=4))
    assert run.delivery_status == "failed" and run.delivery_error.startswith(f"SMTP 127.0.0.1:{port}: 535")
    assert not [r for r in caplog.records if "retrying in" in r.getMessage()], "a refused login is not retried"
    assert inbox.messages == []
    _no_password_anywhere(store, caplog)
    assert "wrong-" not in caplog.text + repr(store.report_runs(limit=None))


def test_an_untrusted_certificate_is_refused(smtp_server, store, tmp_path, certificate):
    _, port = smtp_server("starttls")
    reports = _reports(port, certificate, ca_file=None)  # the system CAs do not know our certificate
    run = _publish(store, tmp_path, reports)
    assert run.delivery_status == "failed" and "CERTIFICATE_VERIFY_FAILED" in run.delivery_error


def test_a_pdf_changed_in_the_archive_is_not_sent(smtp_server, certificate, store, tmp_path):
    down = _reports(_free_port(), certificate, retry_attempts=1)
    run = _publish(store, tmp_path, down)
    (tmp_path / run.path).write_bytes(b"%PDF-1.7 replaced")
    inbox, port = smtp_server("starttls")
    [after] = deliver_pending(store, data_dir=tmp_path, smtp=_reports(port, certificate).smtp)
    assert after.delivery_status == "failed" and "no longer matches its recorded SHA-256" in after.delivery_error
    assert inbox.messages == []
