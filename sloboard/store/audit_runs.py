"""Collector runs that failed or came back incomplete, in the audit log: one entry per run
(``collector.failed`` / ``collector.incomplete``) with its target, range and error, written
in the transaction that closes the run, so no such run exists without its entry."""

from __future__ import annotations

import sqlalchemy as sa

from .models import collector_runs

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
