"""Gate overrides in the store, on SQLite and PostgreSQL: active only between creation and
expiry and until revoked, each creation and revocation audited, and ``audit verify``
naming an override row edited or inserted by hand."""

from __future__ import annotations

import pytest

from sloboard.errors import InputError
from tests.test_store_audit_coverage import _sql

HOUR = 3600


def test_an_override_is_active_until_it_expires_or_is_revoked_and_both_are_audited(store, clock):
    t0 = clock()
    first = store.add_gate_override("checkout", "  hotfix for INC-42 ", t0 + 2 * HOUR, actor="cli:ana")
    assert (first.reason, first.created_by, first.expires_at) == ("hotfix for INC-42", "cli:ana", t0 + 2 * HOUR)
    assert [o.id for o in store.gate_overrides(service="checkout", active_at=t0)] == [first.id]
    assert store.gate_overrides(service="checkout", active_at=t0 + 2 * HOUR) == []  # the expiry is exclusive
    assert store.gate_overrides(service="search", active_at=t0) == []

    clock.advance(60)
    revoked = store.revoke_gate_overrides("checkout", actor="cli:bo")
    assert [(o.id, o.revoked_at, o.revoked_by) for o in revoked] == [(first.id, t0 + 60, "cli:bo")]
    assert store.gate_overrides(service="checkout", active_at=clock()) == []
    assert store.revoke_gate_overrides("checkout", actor="cli:bo") == []  # nothing left to revoke
    assert [o.id for o in store.gate_overrides()] == [first.id]  # kept, as revoked

    created, gone = store.audit_entries(action="gate.override")[0], store.audit_entries(action="gate.override.revoke")[0]
    assert (created.actor, created.payload["record"]["reason"]) == ("cli:ana", "hotfix for INC-42")
    assert (gone.actor, gone.payload["record"]["revoked_at"]) == ("cli:bo", t0 + 60)
    assert store.check_audit().ok


@pytest.mark.parametrize("reason, expires_in, message", [
    pytest.param(" ", HOUR, "needs a reason", id="an empty reason is refused"),
    pytest.param("x", 0, "expire in the future", id="an expiry of now is refused"),
])
def test_bad_overrides_are_refused(store, clock, reason, expires_in, message):
    with pytest.raises(InputError, match=message):
        store.add_gate_override("checkout", reason, clock() + expires_in, actor="cli:ana")
    assert store.gate_overrides() == []


def test_audit_verify_names_an_override_extended_or_forged_in_sql(store, clock, store_url):
    override = store.add_gate_override("checkout", "release train", clock() + HOUR, actor="cli:ana")
    _sql(store_url, f"UPDATE gate_overrides SET expires_at = expires_at + 86400 WHERE id = {override.id}")
    _sql(store_url, "INSERT INTO gate_overrides (service, reason, created_by, created_at, expires_at) "
                    f"VALUES ('search', 'nobody asked', 'cli:eve', {clock()}, {clock() + HOUR})")
    report = store.check_audit()
    assert report.records == [
        f"gate override {override.id} of checkout differs from audit entry "
        f"{store.audit_entries(action='gate.override')[0].id}: expires_at {clock() + HOUR!r} in the log, "
        f"{clock() + HOUR + 86400!r} in the store",
        f"gate override {override.id + 1} of search has no audit entry",
    ]
