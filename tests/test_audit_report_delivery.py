"""Each report mail sent or failed is audited with its run, PDF SHA-256, recipients and
error, in the transaction that records the outcome; a finish that is not ours writes
nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from sloboard.errors import StoreError

RECIPIENTS = ["cto@example.com", "vp@example.com"]


def _pending(store, period: str) -> tuple[int, str]:
    sha = hashlib.sha256(period.encode()).hexdigest()
    run = store.record_report_run("weekly", period, status="ok", started_at=1.0, finished_at=2.0,
                                  path=f"reports/weekly-{period}.pdf", recipients=RECIPIENTS, sha256=sha,
                                  delivery_status="pending")
    return run, sha


def _deliveries(store):
    return [e for e in reversed(store.audit_entries(limit=None)) if e.action.startswith("report.sen")]


def test_a_sent_and_a_failed_mail_are_audited(store):
    sent, sent_sha = _pending(store, "2026-W47")
    store.finish_report_delivery(sent, store.claim_report_delivery(sent))
    failed, failed_sha = _pending(store, "2026-W48")
    store.finish_report_delivery(failed, store.claim_report_delivery(failed), error="SMTP 127.0.0.1:25: 535 denied")
    assert [(e.action, e.actor, e.payload) for e in _deliveries(store)] == [
        ("report.sent", "mailer", {"target": "report:weekly:2026-W47", "run": sent, "sha256": sent_sha,
                                   "recipients": RECIPIENTS, "error": None}),
        ("report.send_failed", "mailer", {"target": "report:weekly:2026-W48", "run": failed, "sha256": failed_sha,
                                          "recipients": RECIPIENTS, "error": "SMTP 127.0.0.1:25: 535 denied"}),
    ]
    assert store.verify_audit() == (True, None)


def test_a_finish_without_our_claim_is_refused_and_not_audited(store):
    run, _ = _pending(store, "2026-W47")
    claim = store.claim_report_delivery(run)
    with pytest.raises(StoreError, match="is not being delivered"):
        store.finish_report_delivery(run, claim + 1)
    assert _deliveries(store) == []
