"""The audit log: a SHA-256 chain that verifies, and detects every kind of tampering."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from sloboard.store import Store


def _independent_hash(prev: str, at: float, actor: str, action: str, payload: dict) -> str:
    """The documented formula, recomputed here without the store's code."""
    payload_text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    material = json.dumps([prev, at, actor, action, payload_text], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def _fill(store: Store, clock) -> list:
    entries = []
    for i in range(5):
        clock.advance(1.25)
        entries.append(store.append_audit(f"user{i}", "slo.update", {"slo": "checkout/availability", "n": i, "ü": "ß"}))
    return entries


def _tamper(store_url: str, sql: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_appended_entries_chain_and_verify(store, clock):
    assert store.verify_audit() == (True, None)
    entries = _fill(store, clock)
    prev = "0" * 64
    for entry in entries:
        assert entry.prev_hash == prev
        assert entry.hash == _independent_hash(prev, entry.at, entry.actor, entry.action, entry.payload)
        prev = entry.hash
    assert store.verify_audit() == (True, None)
    assert store.audit_entries(limit=2) == entries[:-3:-1]


@pytest.mark.parametrize(
    "sql, broken_index",
    [
        pytest.param("UPDATE audit_log SET payload = '{\"n\":99}' WHERE id = {3}", 2, id="an edited payload breaks its entry"),
        pytest.param("UPDATE audit_log SET actor = 'mallory' WHERE id = {2}", 1, id="an edited actor breaks its entry"),
        pytest.param("DELETE FROM audit_log WHERE id = {3}", 3, id="a deleted entry breaks the next one"),
        pytest.param("UPDATE audit_log SET at = at + 1 WHERE id = {1}", 0, id="an edited time breaks its entry"),
    ],
)
def test_tampering_is_found_at_the_first_broken_entry(store, store_url, clock, sql, broken_index):
    entries = _fill(store, clock)
    ids = {n + 1: e.id for n, e in enumerate(entries)}
    _tamper(store_url, sql.replace("{1}", str(ids[1])).replace("{2}", str(ids[2])).replace("{3}", str(ids[3])))
    assert store.verify_audit() == (False, entries[broken_index].id)


def test_a_rehashed_edit_still_breaks_the_chain_at_the_next_entry(store, store_url, clock):
    entries = _fill(store, clock)
    victim = entries[1]
    forged = _independent_hash(victim.prev_hash, victim.at, victim.actor, victim.action, {"n": 0})
    _tamper(store_url, f"UPDATE audit_log SET payload = '{{\"n\":0}}', hash = '{forged}' WHERE id = {victim.id}")
    assert store.verify_audit() == (False, entries[2].id)


def test_payloads_must_be_json(store):
    with pytest.raises(TypeError):
        store.append_audit("me", "x", {"when": object()})
    with pytest.raises(ValueError):
        store.append_audit("me", "x", {"ratio": float("nan")})
    assert store.audit_entries() == []


def test_fifty_concurrent_appends_from_four_processes_worth_of_stores_all_land_on_postgres(pg_url, clock):
    """50 logins at once on 4 workers: each append waits its turn for the chain head (an
    advisory lock) instead of racing for it; with retries on a fork, 5 tries were once not
    enough and logins failed with a 500."""
    stores = [Store.open(pg_url, clock=clock) for _ in range(4)]
    barrier = threading.Barrier(50)

    def login(i: int) -> None:
        barrier.wait()
        stores[i % 4].append_audit(f"user:u{i}", "login.ok", {"user": f"u{i}"})

    try:
        with ThreadPoolExecutor(50) as pool:
            list(pool.map(login, range(50)))
        entries = stores[0].audit_entries(limit=None)
        assert sorted(e.actor for e in entries) == sorted(f"user:u{i}" for i in range(50))
        assert stores[0].verify_audit() == (True, None)
    finally:
        for store in stores:
            store.close()
