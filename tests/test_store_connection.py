"""The store's PostgreSQL connections: a pooled connection the server ended is replaced
before a transaction uses it (the pool's ping), and the write path's lookups keep using
the primary key as a sample table fills up after it was emptied (custom plans)."""

from __future__ import annotations

import time
import uuid

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

from sloboard.store import Store
from tests.factories import make_slo

STEP = 60
T0 = 1_800_000_000 - 1_800_000_000 % 3600


def _named(pg_url: str) -> tuple[str, str]:
    """``pg_url`` with an application name of its own (to find the store's backends), and the name."""
    name = f"sloboard_test_{uuid.uuid4().hex[:12]}"
    return make_url(pg_url).update_query_dict({"application_name": name}).render_as_string(hide_password=False), name


def _admin(pg_url: str) -> psycopg.Connection:
    url = make_url(pg_url)
    conninfo = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True, options=url.query["options"])


def _backends(admin: psycopg.Connection, name: str) -> list[int]:
    return [pid for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))]


def _steps(first: int, n: int):
    ts = T0 + (np.arange(n, dtype=np.int64) + first) * STEP
    return ts, np.full(n, 9.0), np.full(n, 10.0)


def test_a_pooled_connection_the_server_ended_is_replaced_before_the_next_write(pg_url):
    url, name = _named(pg_url)
    with Store.open(url) as store, _admin(pg_url) as admin:
        store.sync_slos([make_slo()])
        store.write_sli_samples("checkout/availability", *_steps(1, 60))
        (before,) = _backends(admin, name)  # the pool's one idle connection
        # Wait for the backend to exit, as a restart or an operator's kill would end it.
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (before,)).fetchone()[0]

        assert store.write_sli_samples("checkout/availability", *_steps(61, 60)) == 60
        ts, good, _total = store.read_sli_samples("checkout/availability", T0, T0 + 200 * STEP)
        assert ts.size == 120 and good.sum() == 9.0 * 120
        assert _backends(admin, name) not in ([], [before])


def test_the_newest_step_of_a_key_is_found_through_the_primary_key_after_the_table_was_emptied(pg_url):
    # A statement run often enough gets a generic plan; emptying its table makes the server plan
    # it again, for an empty table: a sequential scan, kept while the table fills up again.
    url, name = _named(pg_url)
    chunks = 20
    with _admin(pg_url) as admin:
        with Store.open(url) as store:  # migrating scans the empty tables
            store.sync_slos([make_slo()])
        before = _scans(admin, name)
        with Store.open(url) as store:
            for _ in range(2):
                admin.execute("TRUNCATE sli_samples")
                admin.execute("VACUUM ANALYZE sli_samples")
                for i in range(chunks):
                    store.write_sli_samples("checkout/availability", *_steps(1 + i * 1000, 1000))
        seq_scans, index_scans = np.subtract(_scans(admin, name), before)
    # One newest-ts lookup per chunk; the first after each emptying may scan the empty table.
    assert seq_scans <= 2 and index_scans >= 2 * chunks - 2, (seq_scans, index_scans)


def _scans(admin: psycopg.Connection, name: str) -> tuple[int, int]:
    """Sequential and index scans of ``sli_samples`` so far, once the store's backends have exited
    (a backend flushes its table statistics as it exits)."""
    deadline = time.monotonic() + 10
    while _backends(admin, name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return admin.execute("SELECT seq_scan, idx_scan FROM pg_stat_user_tables "
                         "WHERE relname = 'sli_samples' AND schemaname = current_schema()").fetchone()


def test_every_sqlite_connection_keeps_32_mib_of_pages_and_reads_in_wal_mode(tmp_path):
    """Each pooled connection gets the pragmas, a second one too (the reads of a status at
    1,000 SLOs seek in the same index pages on every render)."""
    with Store.open(f"sqlite:///{tmp_path / 'pragmas.db'}") as store:
        engine = store._engine
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                raw = conn.connection.driver_connection
                assert raw.execute("PRAGMA cache_size").fetchone()[0] == -32768
                assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
