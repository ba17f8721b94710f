"""Recording a deployment: the event and its entry in the audit log, as one service that
``sloboard deploy record`` and ``POST /api/v1/deployments`` both call."""

from __future__ import annotations

from typing import Any, Mapping

from .domain import Deployment

AUDIT_ACTION = "deployment.record"


def record_deployment(store, deployment: Deployment, *, actor: str, audit_payload: Mapping[str, Any],
                      audit_repeats: bool) -> bool:
    """Store ``deployment`` (once: the same service, version and start again is a repeat) and
    append ``audit_payload`` to the audit log under ``actor``; True when it was new.

    ``audit_repeats``: whether a repeat is audited too. The API audits every request it
    accepted (who sent what); the CLI audits what it changed.
    """
    new = store.record_deployment(deployment)
    if new or audit_repeats:
        store.append_audit(actor, AUDIT_ACTION, dict(audit_payload))
    return new
