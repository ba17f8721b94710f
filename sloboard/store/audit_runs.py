"""Runs in the audit log, each entry written in the transaction that records the outcome,
so no such outcome exists without its entry:

- a collector run that failed or came back incomplete (``collector.failed`` /
  ``collector.incomplete``) with its target, range and error;
- a collector run left running by a process that lost the lock (killed), closed by the
  next holder (``collector.interrupted``) with its owner, start and the new holder;
- a report's mail sent or failed (``report.sent`` / ``report.send_failed``) with the run,
  its PDF's SHA-256, the recipients and the error. (Its build is ``report.archive``.)"""

from __future__ import annotations

import json

import sqlalchemy as sa

from .models import collector_runs, report_runs

ACTIONS = {"failed": "collector.failed", "incomplete": "collector.incomplete"}


def audit_unsuccessful_run(conn: sa.Connection, log, run_id: int) -> None:
    """Append the entry for run ``run_id`` (already closed on ``conn``) if it did not succeed."""
    run = conn.execute(sa.select(collector_runs).where(collector_runs.c.id == run_id)).mappings().one()
    action = ACTIONS.get(run["status"])
    if action is None:
        return
    log.append(f"collector:{run['collector']}", action, {
        "target": f"query:{run['query_key']}", "run": run_id, "status": run["status"], "error": run["error"],
        "range_start": run["range_start"], "range_end": run["range_end"], "samples_written": run["samples_written"],
    })


def audit_interrupted_run(conn: sa.Connection, log, run_id: int, owner: str | None, taken_by: str) -> None:
    """Append the entry for run ``run_id``, just closed as interrupted on ``conn``; ``owner``
    is the process that ran it (None: unknown), ``taken_by`` the one that closed it."""
    run = conn.execute(sa.select(collector_runs).where(collector_runs.c.id == run_id)).mappings().one()
    log.append(f"collector:{run['collector']}", "collector.interrupted", {
        "target": f"query:{run['query_key']}", "run": run_id, "status": run["status"], "owner": owner,
        "started": run["started_at"], "taken_over_by": taken_by, "error": run["error"],
        "range_start": run["range_start"], "range_end": run["range_end"],
    })


def audit_report_delivery(conn: sa.Connection, log, run_id: int) -> None:
    """Append the entry for the delivery attempt of report run ``run_id`` just closed on ``conn``."""
    run = conn.execute(sa.select(report_runs).where(report_runs.c.id == run_id)).mappings().one()
    sent = run["delivery_status"] == "sent"
    log.append("mailer", "report.sent" if sent else "report.send_failed", {
        "target": f"report:{run['kind']}:{run['period']}", "run": run_id, "sha256": run["sha256"],
        "recipients": json.loads(run["recipients"] or "[]"), "error": None if sent else run["delivery_error"],
    })
