"""A run whose collector lost the lock (killed) is closed as interrupted by the next
collector to take the lock, in the transaction of the takeover and audited; a live
holder's runs never are; the health read counts one whose range was not written. On
SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from sloboard.errors import StoreLockedError
from tests.factories import make_slo

HOST = socket.gethostname()


def _gone_owner() -> str:
    """``host:pid`` of a process of this host that has exited (as a SIGKILLed collector)."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return f"{HOST}:{dead.pid}"


def _killed_holder(store, owner: str, keys=("sli:a", "sli:b")):
    """Take the collection lock as ``owner`` and start a run per key, closing neither: returns
    the held lock (the caller keeps it, or its collection would release the lock) and the run ids."""
    held = store.collection_lock("collector", owner)
    held.__enter__()  # never exited: the holder was killed
    return held, [store.start_run("prometheus", key, 0, 600) for key in keys]


def _interrupted_entries(store):
    return [e for e in reversed(store.audit_entries(limit=None)) if e.action == "collector.interrupted"]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_dead_holders_runs_are_closed_as_interrupted_by_the_takeover_and_audited(store, clock):
    dead = _gone_owner()
    finished = store.start_run("prometheus", "sli:done", 0, 600)
    store.finish_run(finished, status="ok", samples_written=10)
    clock.advance(5)
    started = clock()
    _held, open_runs = _killed_holder(store, dead)
    clock.advance(30)
    with store.collection_lock("collector", "next-host:77"):
        by_id = {r.id: r for r in store.runs()}
        for run_id in open_runs:
            run = by_id[run_id]
            assert (run.status, run.finished_at, run.started_at) == ("interrupted", clock(), started)
            assert run.error == f"never finished: next-host:77 took the collector lock from {dead} at {_iso(clock())}"
        assert by_id[finished].status == "ok" and by_id[finished].error is None
    entries = _interrupted_entries(store)
    assert [(e.actor, e.payload["run"]) for e in entries] == [("collector:prometheus", r) for r in open_runs]
    assert entries[0].payload == {
        "target": "query:sli:a", "run": open_runs[0], "status": "interrupted", "owner": dead, "started": started,
        "taken_over_by": "next-host:77", "error": by_id[open_runs[0]].error, "range_start": 0, "range_end": 600}
    assert store.check_audit().ok
    # The next pass finds nothing left to close.
    with store.collection_lock("collector", "next-host:77"):
        pass
    assert len(_interrupted_entries(store)) == 2


def test_a_live_holders_runs_stay_running_and_a_renewal_closes_none(store, open_store, clock):
    live = f"{HOST}:{os.getpid()}"  # this process: alive, lease not expired
    _held, _runs = _killed_holder(store, live, keys=("sli:a",))
    other = open_store(clock=clock)
    with pytest.raises(StoreLockedError, match=f"held by {live}"):
        with other.collection_lock("collector", "next-host:77"):
            pass
    assert [r.status for r in store.runs()] == ["running"]  # refused: nothing closed
    with store.collection_lock("collector", live):  # the holder itself, taking it again
        assert [r.status for r in store.runs()] == ["running"]
    assert _interrupted_entries(store) == []


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_close_its_run_afterwards(store, open_store, clock):
    _held, (run_id,) = _killed_holder(store, "other-host:12", keys=("sli:a",))
    clock.advance(601)  # past the 600 s lease: the holder (on another host) is taken as dead
    with open_store(clock=clock).collection_lock("collector", "next-host:77"):
        with pytest.raises(StoreLockedError, match=f"collector run {run_id} was closed as interrupted by another "
                                                   "collector: never finished: next-host:77 took the collector lock "
                                                   "from other-host:12 at "):
            store.finish_run(run_id, status="ok", samples_written=5)
    (run,) = store.runs()
    assert (run.status, run.samples_written) == ("interrupted", 0)


def test_a_run_left_running_under_a_released_lock_is_closed_with_its_owner_unknown(store, clock):
    with store.collection_lock("collector", "host-a:1"):
        run_id = store.start_run("prometheus", "sli:a", 0, 600)  # its close failed in an outage
    clock.advance(60)
    with store.collection_lock("collector", "host-a:2"):
        pass
    (run,) = store.runs()
    assert run.status == "interrupted" and run.error.startswith(
        "never finished (its collector is unknown): host-a:2 took the collector lock while it was free at ")
    (entry,) = _interrupted_entries(store)
    assert (entry.payload["run"], entry.payload["owner"]) == (run_id, None)



def test_an_interrupted_last_run_makes_the_data_stale_until_its_range_is_written(store, clock):
    from sloboard.reads.health import freshness

    now = int(clock())
    store.sync_slos([make_slo()])
    store.write_sli_samples("checkout/availability", [now - 60], [1.0], [1.0])
    _held, (cut, whole) = _killed_holder(store, _gone_owner(), keys=("sli:cut", "sli:whole"))
    store.set_watermark("sli:cut", 300)  # killed after its first chunks: the run ends at 600
    store.set_watermark("sli:whole", 600)  # killed after writing its last chunk, before closing the run
    with store.collection_lock("collector", "next-host:77"):
        pass
    state = freshness(store, now, interval_s=60)
    assert [r.id for r in state.interrupted_runs] == [cut] and state.failed_runs == []
    assert state.stale and state.reasons == ["last run interrupted before its end for 1 query: sli:cut"]
    store.set_watermark("sli:cut", 600)  # the next pass resumed it
    assert not freshness(store, now, interval_s=60).stale


def test_a_takeover_names_the_holder_only_for_the_runs_it_started(store, clock):
    """A run older than the holder's taking of the lock was not its: its owner is unknown.
    (The holder found the lock free, and a run left open: here through a plain ``Store.lock``,
    which closes nothing.)"""
    with store.lock("collector", "host-a:1"):
        older = store.start_run("prometheus", "sli:old", 0, 600)
    clock.advance(60)
    dead = _gone_owner()
    held = store.lock("collector", dead)
    held.__enter__()  # killed while it held the lock
    clock.advance(1)
    own = store.start_run("prometheus", "sli:new", 0, 600)
    clock.advance(60)
    with store.collection_lock("collector", "next-host:77"):
        pass
    assert {e.payload["run"]: e.payload["owner"] for e in _interrupted_entries(store)} == {older: None, own: dead}
    errors = {r.id: r.error for r in store.runs()}
    assert errors[older].startswith(f"never finished (its collector is unknown): next-host:77 took the collector "
                                    f"lock from {dead} at ")
    assert errors[own].startswith(f"never finished: next-host:77 took the collector lock from {dead} at ")
