"""The audit log's ``target`` column, on SQLite and PostgreSQL: migration 0007 backfills it
for entries written before it (across several batches) without touching the chain, every
append writes it, ``verify`` names a row whose column was edited, and the target filter
is a prefix search on the column where typed ``%`` and ``_`` match only themselves."""

from __future__ import annotations

import sqlalchemy as sa

from sloboard.audit_verify import verify
from sloboard.store import Store, audit, migrate
from sloboard.store.audit_query import AuditFilter
from sloboard.store.models import audit_log

# (payload, the target the Audit page showed for it before the column existed)
KINDS = (
    ({"target": "slo:checkout/availability", "old_hash": None}, "slo:checkout/availability"),
    ({"user": "ana", "address": "127.0.0.1"}, "ana"),  # a login
    ({"service": "search", "allowed": True}, "search"),  # a gate decision
    ({"note": "names nothing"}, None),
    ({"target": None, "user": "bob"}, "bob"),  # a null target falls through to the user
    ({"target": 7, "service": "search"}, "7"),  # shown as text
)
ROWS_BEFORE_0007 = 2_100  # more than the migration's batch of 1,000: three batches


def _engine_do(url: str, statement: str, **params) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def _store_at_0006_with_entries(url: str) -> list[tuple[int, str]]:
    """A database migrated to 0006 holding a valid chain of ROWS_BEFORE_0007 entries, written
    as sloboard wrote them then; returns each entry's (id, hash)."""
    from alembic import command

    engine = sa.create_engine(url)
    log = sa.table("audit_log", *(sa.column(c) for c in ("at", "actor", "action", "payload", "prev_hash", "hash")))
    rows, head = [], audit.GENESIS
    for i in range(ROWS_BEFORE_0007):
        payload, _ = KINDS[i % len(KINDS)]
        text, at = audit.canonical_json({**payload, "n": i}), 1_800_000_000.0 + i
        digest = audit.entry_hash(head, at, "cli:root", "note", text)
        rows.append({"at": at, "actor": "cli:root", "action": "note", "payload": text,
                     "prev_hash": head, "hash": digest})
        head = digest
    try:
        with engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), "0006")
            conn.execute(sa.insert(log), rows)
            return [tuple(r) for r in conn.execute(sa.text("SELECT id, hash FROM audit_log ORDER BY id"))]
    finally:
        engine.dispose()


def test_target_of_is_the_pages_rule():
    for payload, target in KINDS:
        assert audit.target_of("note", payload) == target, payload
    assert audit.target_of("note", ["not", "a", "dict"]) is None


def test_upgrading_from_0006_backfills_every_entry_and_the_chain_still_verifies(store_url, tmp_path):
    (tmp_path / "data").mkdir(exist_ok=True)  # the SQLite variant's file lives there
    before = _store_at_0006_with_entries(store_url)
    with Store.open(store_url) as store:
        report = store.check_audit()
        assert report.ok, (report.broken, report.targets, report.records)
        assert report.entries == ROWS_BEFORE_0007 and report.targets_differing == 0
        assert [(e.id, e.hash) for e in store.audit_entries(limit=None)][::-1] == before  # hashes untouched
        found = store.audit_search(AuditFilter(target="search"), page_size=ROWS_BEFORE_0007)
        assert found.matching == ROWS_BEFORE_0007 // len(KINDS)  # the gate decisions; "7" has service search too
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.select(audit_log.c.id, audit_log.c.target).order_by(audit_log.c.id)).all()
    finally:
        engine.dispose()
    assert [t for _, t in stored] == [KINDS[i % len(KINDS)][1] for i in range(ROWS_BEFORE_0007)]


def test_an_append_writes_the_target(store, store_url):
    entry = store.append_audit("user:ana", "login.ok", {"user": "ana", "address": "127.0.0.1"})
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(audit_log.c.target).where(audit_log.c.id == entry.id)).scalar_one() == "ana"
    finally:
        engine.dispose()


def test_an_edited_or_cleared_target_column_is_named_and_the_chain_still_holds(store, store_url, tmp_path):
    entries = [store.append_audit("cli:root", "note", {"target": f"note:{i}"}) for i in range(4)]
    _engine_do(store_url, "UPDATE audit_log SET target = 'note:hidden' WHERE id = :id", id=entries[1].id)
    _engine_do(store_url, "UPDATE audit_log SET target = NULL WHERE id = :id", id=entries[3].id)
    report = store.check_audit()
    assert report.broken is None and not report.ok and report.targets_differing == 2
    assert report.targets[0].startswith(f"entry {entries[1].id} (note at ")
    assert report.targets[0].endswith("): target column 'note:hidden', its payload names 'note:1'")
    assert report.targets[1].endswith("): target column None, its payload names 'note:3'")
    result = verify(store, tmp_path)
    assert not result.ok
    assert [f.text for f in result.findings if not f.ok] == [f"target column: {t}" for t in report.targets]
    assert result.findings[0].text == "audit log intact"


def test_the_target_filter_is_a_prefix_of_the_column_with_wildcards_literal(store):
    for target in ("deploy%x", "deploy_x", "deployAx", "deployment:checkout/v1@1", "user:ana"):
        store.append_audit("cli:root", "note", {"target": target, "see": "deployment:elsewhere"})
    store.append_audit("user:50%_off", "login.failed", {"user": "50%_off"})

    def targets(prefix: str) -> list[str]:
        found = store.audit_search(AuditFilter(target=prefix)).entries
        return sorted(audit.target_of(e.action, e.payload) for e in found)

    assert targets("deploy%") == ["deploy%x"]
    assert targets("deploy_") == ["deploy_x"]
    assert targets("deploy") == ["deploy%x", "deployAx", "deploy_x", "deployment:checkout/v1@1"]
    assert targets("deployment:") == ["deployment:checkout/v1@1"]  # not the payload's other mention
    assert targets("ment:") == []  # from the start, not anywhere
    assert targets("50%_") == ["50%_off"]
    assert targets("%") == targets("_") == []


def test_postgresql_serves_the_prefix_filter_from_the_index(pg_url):
    with Store.open(pg_url) as store:
        store.append_audit("cli:root", "note", {"target": "user:ana"})
    query = sa.select(audit_log.c.id).where(*AuditFilter(target="user:a%").conditions())
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: otherwise a scan is cheaper
            compiled = query.compile(dialect=conn.dialect)  # with its bound parameter, as the store sends it
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
    finally:
        engine.dispose()
    assert "Index Scan using ix_audit_log_target" in plan and "'user:a\\%%'" in plan, plan
