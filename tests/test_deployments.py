"""``sloboard.deployments``: a deployment and its audit entry recorded by one service, on
both databases; a repeat is stored once and audited only when the caller asks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sloboard.deployments import AUDIT_ACTION, record_deployment
from sloboard.domain import Deployment, DeployStatus

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
DEPLOY = Deployment("checkout", "v1.4.2", DeployStatus.SUCCEEDED, STARTED, STARTED, "cli", "3f2a9c1", None)


@pytest.mark.parametrize(("audit_repeats", "entries"), [
    pytest.param(False, 1, id="the CLI audits what it changed"),
    pytest.param(True, 2, id="the API audits every request it accepted"),
])
def test_a_repeat_is_stored_once_and_audited_as_asked(store, audit_repeats, entries):
    payload = {"service": "checkout", "version": "v1.4.2"}
    assert record_deployment(store, DEPLOY, actor="cli:ci", audit_payload=payload, audit_repeats=audit_repeats)
    assert not record_deployment(store, DEPLOY, actor="cli:ci", audit_payload=payload, audit_repeats=audit_repeats)
    assert len(store.deployments()) == 1
    audited = store.audit_entries(action=AUDIT_ACTION)
    assert len(audited) == entries
    assert all(e.actor == "cli:ci" and e.payload == payload for e in audited)
