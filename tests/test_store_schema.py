"""Schema: migrations from empty to head on both databases, no drift from the models,
SQLite pragmas, and clear errors for URLs and databases that cannot be used."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sloboard.errors import StoreError
from sloboard.store import Store, head_revision
from sloboard.store.models import metadata

EXPECTED_TABLES = {
    "slos", "slo_versions", "sli_samples", "sli_hourly", "sli_daily", "series", "series_samples", "series_hourly",
    "series_daily", "deployments",
    "watermarks", "collector_runs", "audit_log", "report_runs", "locks", "users", "api_tokens", "gate_overrides", "alembic_version",
}


def _schema_diff(url: str, target: sa.MetaData) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, target)
    finally:
        engine.dispose()


def test_migrations_take_an_empty_database_to_head(store_url):
    store = Store.open(store_url, upgrade=False)
    try:
        assert store.schema_revision() is None
        assert store.upgrade() == head_revision()
        assert store.schema_revision() == head_revision()
        assert store.upgrade() == head_revision()  # a second upgrade is a no-op
    finally:
        store.close()
    engine = sa.create_engine(store_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == EXPECTED_TABLES
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(store, store_url):
    assert _schema_diff(store_url, metadata) == []


def test_schema_comparison_detects_drift(store, store_url):
    drifted = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    sa.Table("watermarks", drifted, sa.Column("note", sa.Text), extend_existing=True)
    diff = _schema_diff(store_url, drifted)
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "note")]


def test_sqlite_file_is_created_with_its_directory_in_wal_mode(sqlite_url, tmp_path):
    path = tmp_path / "data" / "sloboard.db"
    assert not path.parent.exists()
    Store.open(sqlite_url).close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Sample tables are clustered on their primary key (WITHOUT ROWID).
        ddl = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'sli_samples'").fetchone()[0]
        assert "WITHOUT ROWID" in ddl.upper()
    finally:
        raw.close()


def test_sqlite_connections_get_the_pragmas(sqlite_url):
    store = Store.open(sqlite_url, busy_timeout_s=1.5)
    try:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1500
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


@pytest.mark.parametrize(
    "url, expected",
    [
        pytest.param("mysql://u:p@127.0.0.1/x", "unsupported database 'mysql'", id="mysql is refused by name"),
        pytest.param("not a url", "is not a SQLAlchemy URL", id="garbage is refused"),
        pytest.param("postgresql+psycopg2://u@127.0.0.1/x", "psycopg 3 driver", id="psycopg2 is refused"),
    ],
)
def test_unusable_urls_give_a_store_error(url, expected):
    with pytest.raises(StoreError, match=expected):
        Store.open(url)


def test_unreachable_postgres_names_the_database_and_hides_the_password():
    # Port 1 on loopback refuses at once; the test needs no PostgreSQL server.
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        Store.open("postgresql://sloboard:s3cret-pw@127.0.0.1:1/metrics", connect_timeout_s=2)
    message = str(info.value)
    assert time.monotonic() - started < 5
    assert "s3cret-pw" not in message
    assert "postgresql+psycopg://sloboard:***@127.0.0.1:1/metrics" in message
    assert "cannot connect" in message
    assert "\n" not in message


def test_a_store_without_schema_says_to_upgrade(sqlite_url):
    store = Store.open(sqlite_url, upgrade=False)
    try:
        with pytest.raises(StoreError, match=r"no such table: slos .*sloboard db upgrade"):
            store.slo_rows()
    finally:
        store.close()


def test_processes_starting_together_all_open_the_store(store_url):
    import threading

    barrier = threading.Barrier(3)
    revisions: list[str | None] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            store = Store.open(store_url, busy_timeout_s=30)
            try:
                revisions.append(store.schema_revision())
            finally:
                store.close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert revisions == [head_revision()] * 3


def test_shipped_head_from_file_names_agrees_with_alembic():
    from sloboard.store import migrate

    assert migrate.shipped_head() == head_revision()


def test_opening_a_store_at_head_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'h.db'}"
    Store.open(url).close()
    code = f"import sys; from sloboard.store import Store; Store.open({url!r}).close(); print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
