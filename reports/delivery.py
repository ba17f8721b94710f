"""Mailing archived reports with smtplib: STARTTLS or implicit TLS and a login.

A delivery is claimed in the store before anything is sent (``claim_report_delivery``),
so two processes retrying at once never both send it, and one that is sent is never
sent again. Within one delivery, transient failures (connection refused, timeouts,
4xx answers) are retried with exponential back-off (tenacity); after the last
attempt the failure is recorded and the run stays in the archive for
``deliver_pending`` to send later. What is sent is the archived file, checked
against its recorded SHA-256 first.

The password is only ever handed to ``SMTP.login``: error messages name the server
and what it answered, never the credentials.
"""

from __future__ import annotations

import hashlib
import html
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Mapping

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from sloboard.errors import ConfigError
from sloboard.settings import SmtpSettings
from sloboard.store import Store
from sloboard.store.records import ReportRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Headline:
    """What the mail says: one sentence and the headline KPIs as ``(name, value)`` pairs."""

    sentence: str
    kpis: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "kpis": [list(kpi) for kpi in self.kpis]}

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> "Headline":
        value = value or {}
        return cls(str(value.get("sentence", "")), tuple((str(k), str(v)) for k, v in value.get("kpis", ())))


def require_smtp(smtp: SmtpSettings) -> None:
    """Raise ConfigError unless these settings can mail (checked when mailing, not at load)."""
    if smtp.host is None:
        raise ConfigError("reports.smtp.host is not set: reports are archived but cannot be mailed "
                          "(set SLOBOARD_REPORTS__SMTP__HOST)")
    if (smtp.user is None) != (smtp.password is None):
        raise ConfigError("reports.smtp: set both user and password for the SMTP login, or neither")


def deliver(store: Store, run_id: int, *, data_dir: Path, smtp: SmtpSettings) -> ReportRun:
    """Send one run's archived PDF to its recorded recipients, unless it is sent or being
    sent already; returns the run as it is afterwards (``delivery_status`` sent or failed)."""
    require_smtp(smtp)
    return _deliver_claimed(store, run_id, Path(data_dir), smtp) or store.report_run(run_id)


def deliver_pending(store: Store, *, data_dir: Path, smtp: SmtpSettings) -> list[ReportRun]:
    """Send every report whose delivery is pending or failed (oldest first), each at most
    once; returns the runs this call tried (one another process is sending is left to it)."""
    require_smtp(smtp)
    waiting = store.report_runs(limit=None, delivery_status=("pending", "failed", "sending"))
    tried = (_deliver_claimed(store, run.id, Path(data_dir), smtp) for run in reversed(waiting))
    return [run for run in tried if run is not None]


def _deliver_claimed(store: Store, run_id: int, data_dir: Path, smtp: SmtpSettings) -> ReportRun | None:
    """Claim and send one run; None if it is not ours to send (sent, or being sent)."""
    claim = store.claim_report_delivery(run_id)
    if claim is None:
        return None
    run = store.report_run(run_id)
    try:
        message = _message(run, _archived_pdf(run, data_dir), smtp)
        _send_with_retries(smtp, message)
    except _DeliveryFailed as exc:
        log.warning("report %s %s not delivered: %s", run.kind, run.period, exc)
        store.finish_report_delivery(run_id, claim, error=str(exc))
    else:
        store.finish_report_delivery(run_id, claim)
    return store.report_run(run_id)


class _DeliveryFailed(Exception):
    """One line, recorded as the run's delivery error."""


def _archived_pdf(run: ReportRun, data_dir: Path) -> bytes:
    path = data_dir / (run.path or "")
    try:
        pdf = path.read_bytes()
    except OSError as exc:
        raise _DeliveryFailed(f"cannot read the archived report {path}: {exc.strerror or exc}") from exc
    if hashlib.sha256(pdf).hexdigest() != run.sha256:
        raise _DeliveryFailed(f"{path} no longer matches its recorded SHA-256 {run.sha256}; not sent")
    return pdf


def _message(run: ReportRun, pdf: bytes, smtp: SmtpSettings) -> EmailMessage:
    headline = Headline.from_json(run.headline)
    message = EmailMessage()
    message["Subject"] = f"sloboard {run.kind} report {run.period}"
    message["From"] = smtp.from_address
    message["To"] = ", ".join(run.recipients)
    message["Date"] = formatdate(usegmt=True)
    # The same id on every attempt: a mail system that got it once can drop a repeat.
    domain = smtp.from_address.rpartition("@")[2] or "sloboard"
    message["Message-ID"] = f"<report-{run.id}-{run.sha256[:16]}@{domain}>"
    kpi_lines = "".join(f"- {name}: {value}\n" for name, value in headline.kpis)
    message.set_content(
        f"{headline.sentence}\n\n{kpi_lines}\nThe {run.kind} report for {run.period} is attached "
        f"(SHA-256 {run.sha256}).\n"
    )
    kpi_rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td><b>{html.escape(value)}</b></td></tr>" for name, value in headline.kpis
    )
    message.add_alternative(
        f"<html><body><p>{html.escape(headline.sentence)}</p><table>{kpi_rows}</table>"
        f"<p>The {html.escape(run.kind)} report for {html.escape(run.period)} is attached "
        f"(SHA-256 <code>{run.sha256}</code>).</p></body></html>",
        subtype="html",
    )
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"sloboard-{run.kind}-{run.period}.pdf")
    return message


def _send_with_retries(smtp: SmtpSettings, message: EmailMessage) -> None:
    where = f"SMTP {smtp.host}:{smtp.port}"
    retrying = Retrying(
        retry=retry_if_exception(_transient),
        stop=stop_after_attempt(smtp.retry_attempts),
        wait=wait_exponential(multiplier=smtp.retry_initial_s, max=300),
        before_sleep=lambda state: log.warning(
            "%s: %s; retrying in %.1f s", where, _describe(state.outcome.exception()), state.next_action.sleep
        ),
        reraise=True,
    )
    try:
        retrying(_send_once, smtp, message)
    except (OSError, smtplib.SMTPException) as exc:
        raise _DeliveryFailed(f"{where}: {_describe(exc)}") from exc


def _send_once(smtp: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    if smtp.tls == "implicit":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=context)
        if smtp.user is not None:
            client.login(smtp.user, smtp.password.get_secret_value())
        client.send_message(message)


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: the server is down or busy, not refusing us for good."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, (smtplib.SMTPRecipientsRefused, ssl.SSLError, smtplib.SMTPNotSupportedError)):
        return False
    return isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {answer}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused: " + ", ".join(sorted(exc.recipients))
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
