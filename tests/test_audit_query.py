"""Searching the audit log (the Audit page's reads): each filter, their combination,
pages newest first, and typed wildcards matching only themselves, on SQLite and PostgreSQL."""

from __future__ import annotations

from sloboard.store.audit_query import AuditFilter


def _fill(store, clock):
    """30 entries: ids 1..30 at one-minute steps; actors alternate ana/bob; three actions."""
    for i in range(30):
        actor = "user:ana" if i % 2 == 0 else "user:bob"
        action = ("login.ok", "login.failed", "deployment.stored")[i % 3]
        store.append_audit(actor, action, {"target": f"deployment:svc{i % 5}", "n": i})
        clock.advance(60)


def test_filters_pages_and_order(store, clock):
    start = clock()
    _fill(store, clock)
    everything = store.audit_search(AuditFilter(), page_size=12)
    assert (everything.matching, everything.pages, everything.page) == (30, 3, 1)
    assert [e.payload["n"] for e in everything.entries] == list(range(29, 17, -1))
    last = store.audit_search(AuditFilter(), page=3, page_size=12)
    assert [e.payload["n"] for e in last.entries] == list(range(5, -1, -1))
    assert store.audit_search(AuditFilter(), page=99, page_size=12).page == 3  # clamped

    logins = store.audit_search(AuditFilter(action="login"))
    assert {e.action for e in logins.entries} == {"login.ok", "login.failed"} and logins.matching == 20
    ana_failed = store.audit_search(AuditFilter(actor="ana", action="login.failed"))
    # i even and i % 3 == 1: 4, 10, 16, 22, 28
    assert [e.payload["n"] for e in ana_failed.entries] == [28, 22, 16, 10, 4]
    svc3 = store.audit_search(AuditFilter(target="deployment:svc3"))
    assert [e.payload["n"] for e in svc3.entries] == [28, 23, 18, 13, 8, 3]
    window = store.audit_search(AuditFilter(start=start + 60 * 10, end=start + 60 * 14))
    assert [e.payload["n"] for e in window.entries] == [14, 13, 12, 11, 10]


def test_typed_wildcards_match_only_themselves(store, clock):
    _fill(store, clock)
    for typed in ("%", "_", "user:%", "login_ok"):
        nothing = store.audit_search(AuditFilter(actor=typed, action=typed, target=typed))
        assert (nothing.matching, nothing.pages, nothing.entries) == (0, 1, [])
    store.append_audit("user:50%_off", "note", {"target": "x"})
    assert [e.actor for e in store.audit_search(AuditFilter(actor="50%_")).entries] == ["user:50%_off"]
