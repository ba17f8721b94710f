"""The cross-process lock, and a SQLite database locked by another connection."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from sloboard.errors import StoreError, StoreLockedError
from tests.factories import make_slo


def test_a_held_lock_refuses_another_owner_with_a_clear_message(store, open_store, clock):
    other = open_store(clock=clock)  # another process on the same database
    with store.lock("collector", "host-a:101", ttl_s=600):
        with pytest.raises(StoreLockedError) as info:
            with other.lock("collector", "host-b:202"):
                pytest.fail("the second owner must not get the lock")
    message = str(info.value)
    assert re.fullmatch(
        r"collector lock held by host-a:101 since 2027-01-15T08:00:00Z; wait for that process to finish, "
        r"or stop it: the lock is taken over after it expires at 2027-01-15T08:10:00Z",
        message,
    ), message
    assert info.value.owner == "host-a:101"  # for callers that name the holder in their own words
    # Released: the other owner gets it now.
    with other.lock("collector", "host-b:202"):
        pass


def test_a_stale_lock_is_taken_over_after_its_ttl(store, open_store, clock):
    other = open_store(clock=clock)
    crashed = store.lock("collector", "host-a:101", ttl_s=600)
    crashed.__enter__()  # never exited: the holder died
    clock.advance(599)
    with pytest.raises(StoreLockedError):
        with other.lock("collector", "host-b:202", ttl_s=600):
            pass
    clock.advance(1)
    with other.lock("collector", "host-b:202", ttl_s=600):
        with pytest.raises(StoreLockedError, match="held by host-b:202"):
            with store.lock("collector", "host-a:101"):
                pass


def test_locks_with_different_names_are_independent(store):
    with store.lock("collector", "a"), store.lock("reports", "b"):
        with pytest.raises(StoreLockedError, match="reports lock held by b"):
            with store.lock("reports", "c"):
                pass


def test_renewing_keeps_the_lock_past_its_first_ttl(store, open_store, clock):
    other = open_store(clock=clock)
    with store.lock("collector", "a", ttl_s=60):
        clock.advance(50)
        store.renew_lock("collector", "a", ttl_s=60)
        clock.advance(50)  # 100 s after taking it, 50 s after renewing
        with pytest.raises(StoreLockedError):
            with other.lock("collector", "b"):
                pass


def test_renewing_a_lock_taken_over_by_another_owner_fails(store, open_store, clock):
    other = open_store(clock=clock)
    with store.lock("collector", "a", ttl_s=60):
        clock.advance(61)
        with other.lock("collector", "b", ttl_s=600):
            with pytest.raises(StoreLockedError, match="held by b"):
                store.renew_lock("collector", "a")


def test_sqlite_locked_by_another_writer_gives_a_store_error_after_the_busy_timeout(open_store, sqlite_url, tmp_path):
    from sloboard.store import Store

    store = Store.open(sqlite_url, busy_timeout_s=0.3)
    try:
        store.sync_slos([make_slo(spec_hash="h1")])
        blocker = sqlite3.connect(tmp_path / "data" / "sloboard.db", isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # another process mid-write
            started = time.monotonic()
            with pytest.raises(StoreError) as info:
                store.write_sli_samples("checkout/availability", [1_800_000_060], [1.0], [1.0])
            waited = time.monotonic() - started
        finally:
            blocker.rollback()
            blocker.close()
        message = str(info.value)
        assert 0.25 <= waited < 3, waited
        assert message.startswith(f"database {sqlite_url}: writing SLI samples of checkout/availability failed:")
        assert "database is locked" in message and "busy timeout" in message
        assert "\n" not in message and "Traceback" not in message
        # Nothing half-written, and the store works again once the other writer is gone.
        assert store.write_sli_samples("checkout/availability", [1_800_000_060], [1.0], [1.0]) == 1
        # Readers are not blocked by a writer in WAL mode.
        assert store.read_sli_samples("checkout/availability", 0, 2**62)[0].tolist() == [1_800_000_060]
    finally:
        store.close()


def test_postgres_row_held_by_another_transaction_gives_a_store_error_after_the_lock_timeout(pg_url):
    import psycopg
    from sqlalchemy.engine import make_url

    from sloboard.store import Store

    # Migrate first with the default timeout: parallel tests' migrations queue on one
    # advisory lock, which is not what this test measures.
    Store.open(pg_url).close()
    store = Store.open(pg_url, busy_timeout_s=0.3)
    try:
        store.set_watermark("prom/checkout", 100)
        url = make_url(pg_url)
        blocker = psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database, options=url.query["options"]
        )
        try:
            blocker.execute("UPDATE watermarks SET ts = 200 WHERE key = 'prom/checkout'")  # not committed
            started = time.monotonic()
            with pytest.raises(StoreError) as info:
                store.set_watermark("prom/checkout", 300)
            waited = time.monotonic() - started
        finally:
            blocker.rollback()
            blocker.close()
        message = str(info.value)
        assert 0.25 <= waited < 3, waited
        assert message.startswith(f"database {store.url}: setting a watermark failed: ")
        assert "lock timeout" in message and "\n" not in message
        store.set_watermark("prom/checkout", 300)
        assert store.watermark("prom/checkout") == 300
    finally:
        store.close()
