"""``audit verify`` covers the records, on SQLite and PostgreSQL: an edited audit row, a
deleted middle row (the gap), the newest rows cut off (against the anchor), an edited
deployment, a row without an entry and an entry without its row are each named."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from sloboard import credentials
from sloboard.domain import Deployment, DeployStatus
from sloboard.store.audit_check import Anchor

T0 = datetime(2027, 1, 14, 10, 0, tzinfo=timezone.utc)


def _sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _fill(store, clock):
    for i, status in enumerate([DeployStatus.SUCCEEDED, DeployStatus.FAILED, DeployStatus.SUCCEEDED]):
        clock.advance(60)
        start = T0 + timedelta(hours=i)
        store.record_deployment(Deployment("checkout", f"v{i}", status, start, start + timedelta(minutes=3), "cli"))
    clock.advance(60)
    store.add_user("ana", "admin", credentials.hash_password("correct horse battery"), actor="cli:root")
    clock.advance(60)
    store.add_token("ci", credentials.token_digest(credentials.new_token()), ("deploy:write",), clock() + 86400,
                    actor="cli:root")
    return store.audit_entries(limit=None)[::-1]


def test_an_untouched_store_verifies_with_every_record_checked(store, clock):
    entries = _fill(store, clock)
    report = store.check_audit(anchor=Anchor(entries[-1].id, entries[-1].hash))
    assert report.ok, (report.broken, report.truncation, report.records)
    assert (report.entries, report.records_checked) == (5, 5)
    assert report.head == Anchor(entries[-1].id, entries[-1].hash)


def test_recording_the_same_deployment_again_adds_no_entry_and_a_change_adds_one(store, clock):
    _fill(store, clock)
    d = Deployment("checkout", "v0", DeployStatus.SUCCEEDED, T0, T0 + timedelta(minutes=3), "cli")
    store.record_deployment(d)
    assert len(store.audit_entries(limit=None)) == 5
    store.record_deployment(Deployment("checkout", "v0", DeployStatus.ROLLED_BACK, T0, T0 + timedelta(minutes=3), "ci"))
    newest = store.audit_entries(limit=1)[0]
    assert newest.action == "deployment.stored" and newest.payload["record"]["status"] == "rolled_back"
    assert store.check_audit().ok


def test_an_edited_audit_row_is_named(store, store_url, clock):
    entries = _fill(store, clock)
    _sql(store_url, f"UPDATE audit_log SET actor = 'mallory' WHERE id = {entries[1].id}")
    report = store.check_audit()
    assert report.broken.startswith(f"entry {entries[1].id} (deployment.stored by mallory at ")
    assert report.broken.endswith("): altered, its content no longer gives its hash")


def test_a_deleted_middle_row_is_named_as_a_gap(store, store_url, clock):
    entries = _fill(store, clock)
    _sql(store_url, f"DELETE FROM audit_log WHERE id = {entries[2].id}")
    report = store.check_audit()
    assert report.broken.startswith(f"entry {entries[3].id} (user.add at ")
    assert f"a gap, entry {entries[2].id} missing before it (it chains to a hash that entry {entries[1].id}" in report.broken


def test_the_newest_rows_deleted_are_a_truncation_against_the_anchor(store, store_url, clock):
    entries = _fill(store, clock)
    anchor = Anchor.from_json(store.check_audit().head.to_json())
    _sql(store_url, f"DELETE FROM audit_log WHERE id >= {entries[3].id}")
    _sql(store_url, "DELETE FROM users")
    _sql(store_url, "DELETE FROM api_tokens")
    assert store.check_audit().broken is None  # the chain alone still holds
    report = store.check_audit(anchor=anchor)
    assert report.truncation == (f"truncated: the anchor names entry {entries[4].id} (hash {entries[4].hash[:12]}...), "
                                 f"which is gone; the log ends at entry {entries[2].id}")
    assert not report.ok


def test_an_edited_deployment_is_named_with_the_change(store, store_url, clock):
    _fill(store, clock)
    _sql(store_url, "UPDATE deployments SET status = 'succeeded' WHERE version = 'v1'")
    report = store.check_audit()
    assert report.broken is None and len(report.records) == 1
    assert report.records[0].startswith("deployment checkout v1 started 2027-01-14T11:00:00Z (row ")
    assert "status 'failed' in the log, 'succeeded' in the store" in report.records[0]


def test_rows_without_entries_and_entries_without_rows_are_named(store, store_url, clock):
    _fill(store, clock)
    _sql(store_url, "INSERT INTO deployments (service, version, status, started_at, source) "
                    "VALUES ('checkout', 'sneaky', 'succeeded', 1800000000, 'sql')")
    _sql(store_url, "DELETE FROM users WHERE name = 'ana'")
    _sql(store_url, "UPDATE api_tokens SET scopes = 'deploy:write gate:read status:read'")
    records = store.check_audit().records
    assert any(r.startswith("deployment checkout sneaky started ") and r.endswith("has no audit entry") for r in records)
    assert any(r.endswith("records user:ana, which is no longer in the store") for r in records)
    assert any(r.startswith("token ci (row ") and "scopes 'deploy:write' in the log" in r for r in records)


def test_a_window_checks_only_its_entries_chained_to_the_one_before(store, store_url, clock):
    entries = _fill(store, clock)
    _sql(store_url, f"UPDATE audit_log SET actor = 'mallory' WHERE id = {entries[0].id}")
    assert store.check_audit(start=entries[2].at).broken is None
    assert store.check_audit(end=entries[1].at).broken.startswith(f"entry {entries[0].id} ")


def test_each_append_logs_the_new_head_as_json(store, clock, caplog):
    with caplog.at_level(logging.INFO, logger="sloboard.audit"):
        entry = store.append_audit("me", "x.y", {"a": 1})
    import json

    line = json.loads(caplog.records[-1].getMessage())
    assert line == {"event": "audit.head", "id": entry.id, "hash": entry.hash, "action": "x.y", "actor": "me",
                    "appended": 1}


def test_deployments_stored_before_the_upgrade_get_a_baseline_entry(store_url, tmp_path):
    from alembic import command

    from sloboard.store import Store, migrate

    (tmp_path / "data").mkdir(exist_ok=True)
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), "0004")
            conn.exec_driver_sql("INSERT INTO deployments (service, version, status, started_at, source) "
                                 "VALUES ('checkout', 'old', 'failed', 1700000000, 'collector')")
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        report = store.check_audit()
        assert report.ok and report.records_checked == 1, report.records
        assert [e.action for e in store.audit_entries()] == ["audit.baseline"]
