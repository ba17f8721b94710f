"""The scheduler's mail jobs against a real SMTP server on loopback (aiosmtpd): the weekly
job meets SMTP down and records the failure, retries while it is still down fail again,
and once it is up the retry job delivers the report exactly once, however often (and
however concurrently) it runs afterwards; the weekly job does not build or mail it again."""

from __future__ import annotations

import hashlib
import threading

from sloboard.scheduler import runtime
from sloboard.scheduler.jobs import deliver_pending_job, report_job
from sloboard.store import Store
from tests.scheduler_store import MONDAY_MORNING, scheduler_settings
from tests.smtp_inbox import free_port, smtp_server

RECIPIENTS = ["cto@example.com", "vp-eng@example.com"]


def test_mail_fails_while_smtp_is_down_and_is_delivered_once_when_it_is_up(tmp_path, sqlite_url):
    port = free_port()  # nothing listens here yet: SMTP is down
    settings = scheduler_settings(tmp_path, sqlite_url, reports={
        "recipients": {"weekly": RECIPIENTS},
        "smtp": {"host": "127.0.0.1", "port": port, "tls": "none", "retry_attempts": 2, "retry_initial_s": 0.05,
                 "timeout_s": 5, "from_address": "sloboard@example.com"},
    })
    runtime.install(settings, clock=lambda: MONDAY_MORNING)

    report_job("weekly")
    deliver_pending_job()
    with Store.open(sqlite_url) as store:
        [run] = store.report_runs(kind="weekly")
    assert (run.period, run.delivery_status, run.delivery_attempts) == ("2026-W47", "failed", 2)
    assert f"SMTP 127.0.0.1:{port}" in run.delivery_error

    with smtp_server(port) as inbox:
        deliver_pending_job()
        retries = [threading.Thread(target=deliver_pending_job) for _ in range(3)]
        for retry in retries:
            retry.start()
        for retry in retries:
            retry.join(timeout=60)
        report_job("weekly")  # the period is built and handed to delivery: nothing again

    with Store.open(sqlite_url) as store:
        runs = store.report_runs(kind="weekly")
    assert [(r.id, r.delivery_status, r.delivery_attempts, r.delivery_error) for r in runs] == [(run.id, "sent", 3, None)]
    assert len(inbox.messages) == 1
    envelope, message = inbox.messages[0]
    assert sorted(envelope) == RECIPIENTS
    assert message["Subject"] == "sloboard weekly report 2026-W47"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = attachment.get_content()
    assert hashlib.sha256(pdf).hexdigest() == run.sha256
    assert (settings.data_dir / run.path).read_bytes() == pdf
