"""SIGKILL the collector at seeded random points of a 30-day backfill from a real
Prometheus, 20 times, each kill followed by a restart that continues; afterwards the
store holds exactly the rows of one clean run (every row compared): no duplicates, no
holes. On SQLite and on PostgreSQL.

The collector is ``collect_once``, what `sloboard collect` and `sloboard run` call, in
a process forked from the test after the imports (a fresh interpreter would spend most
of each short life importing). Each kill comes a seeded random delay after the restart
took the collector lock (where its work begins), drawn from the clean run's measured
duration, so the kills land all over the backfill: mid-query, mid-chunk, mid-write.

A shorter test kills three collectors while a run is open: the next pass closes each cut
run as "interrupted" with its audit entry, and the rows are still exactly the clean run's.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from sloboard.store import Store, models
from sloboard.wiring import open_store

from . import fleet

pytestmark = pytest.mark.integration

KILLS = 20
SEED = 20260610
FORK = multiprocessing.get_context("fork")


def _collect(settings) -> None:
    store = open_store(settings)
    try:
        summary = fleet.collect(settings, store, until=fleet.AT, since_s=fleet.BACKFILL_DAYS * fleet.DAY)
    finally:
        store.close()
    # Exit code 3 says some query failed: a clean run must not have any.
    os._exit(3 if summary.failed else 0)


def _run(settings, kill_after_s: float | None = None) -> tuple[float, int | None]:
    """Run one collector process; SIGKILL it ``kill_after_s`` after it took the collector
    lock (its work begins there) unless it ended before. Returns its seconds and exit code
    (None: killed while running)."""
    began = time.monotonic()
    child = FORK.Process(target=_collect, args=(settings,), daemon=True)
    child.start()
    if kill_after_s is not None:
        _wait_for_lock(settings.db_url, f"{socket.gethostname()}:{child.pid}", child)
    child.join(kill_after_s)
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        return time.monotonic() - began, None
    return time.monotonic() - began, child.exitcode


def _wait_for_lock(url: str, owner: str, child, timeout_s: float = 60) -> None:
    engine = sa.create_engine(url)
    try:
        deadline = time.monotonic() + timeout_s
        while child.is_alive() and time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(sa.select(models.locks.c.owner).where(models.locks.c.owner == owner)).first():
                    return
            time.sleep(0.01)
    finally:
        engine.dispose()


def _sample_rows(url: str) -> int:
    """How far the backfill got: the per-step rows stored so far."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                       for t in (models.sli_samples, models.series_samples))
    finally:
        engine.dispose()


def _statuses(url: str) -> dict[str, int]:
    """Collector runs per status."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            runs = models.collector_runs
            return dict(conn.execute(sa.select(runs.c.status, sa.func.count()).group_by(runs.c.status)).all())
    finally:
        engine.dispose()


def _settings(prometheus, url, data_dir, specs):
    # One target at a time: the ~40 chunks of the backfill are written one after another,
    # so kill points spread over the run land between and inside every one of them (with
    # eight in flight, all first chunks end together and early kills would all repeat them).
    return fleet.settings_for(prometheus.url, url, data_dir, specs, concurrency=1)


def _passes(settings, count: int) -> None:
    for _ in range(count):
        assert _run(settings)[1] == 0, "a collection pass failed"


@pytest.fixture(scope="module")
def prometheus(prometheus_with):
    return prometheus_with(fleet.openmetrics())


@pytest.fixture(scope="module")
def clean(prometheus, tmp_path_factory):
    """A clean run's seconds and rows; then one more pass, as the next scheduled tick
    would run (it gives services without a signal's data their own watermark)."""
    folder = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{folder / 'clean.db'}"
    settings = _settings(prometheus, url, folder, fleet.write_specs(folder / "specs"))
    Store.open(url).close()  # migrated before the clock starts, as the killed store is below
    seconds, code = _run(settings)
    assert code == 0, "the clean run failed"
    _passes(settings, 1)
    return seconds, fleet.store_rows(url)


def test_twenty_sigkills_during_a_30_day_backfill_leave_exactly_a_clean_runs_rows(
    prometheus, clean, store_url, tmp_path, figure
):
    clean_s, want = clean
    assert len(want.sli) == 2 * fleet.BACKFILL_DAYS * fleet.DAY // fleet.STEP  # two SLOs, every step
    settings = _settings(prometheus, store_url, tmp_path, fleet.write_specs(tmp_path / "specs"))
    Store.open(store_url).close()
    rng = random.Random(SEED)
    # About a clean run's worth of time in all, counted from each restart's taking of the
    # lock; each restart repeats its cut chunk, so the kills spread over the whole backfill.
    delays = [rng.uniform(0.0, clean_s / 10) for _ in range(KILLS)]
    killed_mid_run, progress = 0, []
    for delay in delays:
        _seconds, code = _run(settings, delay)
        killed_mid_run += code is None
        assert code in (None, 0), f"a restarted collector failed with exit code {code}"
        progress.append(_sample_rows(store_url))
    _passes(settings, 2)  # the last restart runs to its end, and the next tick
    got = fleet.store_rows(store_url)

    backend = store_url.split(":")[0]
    figure(f"{backend} clean 30-day backfill (s)", round(clean_s, 2))
    figure(f"{backend} kill delays (s)", [round(d, 2) for d in delays])
    figure(f"{backend} kills that hit a running collector", f"{killed_mid_run} of {KILLS}")
    figure(f"{backend} sample rows after each kill", progress)
    figure(f"{backend} collector runs by status", _statuses(store_url))
    figure(f"{backend} rows compared with the clean run's", len(got.sli) + len(got.sli_hourly)
           + len(got.series_keys) + len(got.series_hourly_keys) + len(got.deployments) + len(got.watermarks))
    assert got.differences(want) == []
    assert _statuses(store_url).get("running", 0) == 0, "a killed collector's run was never closed"
    assert killed_mid_run >= KILLS // 2, "too few kills landed while the collector ran"
    assert len(set(progress)) >= 5, f"the kills did not land across the backfill: {progress}"
    assert progress[0] < len(want.sli) + len(want.series_keys), "the first kill came after the whole backfill"


def _kill_mid_run(settings, rng: random.Random) -> tuple[str, list[int]] | None:
    """Start a collector and SIGKILL it a seeded 0-50 ms after one of its runs is seen
    running. Returns its owner and the runs it left running (None: none, it ended first)."""
    child = FORK.Process(target=_collect, args=(settings,), daemon=True)
    child.start()
    owner = f"{socket.gethostname()}:{child.pid}"
    # Taking the lock closed the runs earlier kills left: those still running from here on are its own.
    _wait_for_lock(settings.db_url, owner, child)
    engine = sa.create_engine(settings.db_url)
    running = sa.select(models.collector_runs.c.id).where(models.collector_runs.c.status == "running")
    try:
        while child.is_alive():
            with engine.connect() as conn:
                if conn.execute(running).first():
                    break
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))
        if not child.is_alive():
            child.join()
            return None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        with engine.connect() as conn:  # what the dead process left: it writes nothing more
            left = [row.id for row in conn.execute(running.order_by(models.collector_runs.c.id))]
    finally:
        engine.dispose()
    return (owner, left) if left else None


def test_runs_a_kill_cuts_are_closed_as_interrupted_by_the_next_pass_and_audited(
    prometheus, clean, store_url, tmp_path, figure
):
    """Three kills mid-run, each followed by the next collector's pass: no run stays
    "running", each cut run is "interrupted" with its audit entry, the rows stay exact."""
    _clean_s, want = clean
    settings = _settings(prometheus, store_url, tmp_path, fleet.write_specs(tmp_path / "specs"))
    Store.open(store_url).close()
    rng = random.Random(SEED + 1)
    kills: list[tuple[str, list[int]]] = []
    for _attempt in range(10):  # a collector that ends before its kill is simply not counted
        if len(kills) == 3:
            break
        killed = _kill_mid_run(settings, rng)
        if killed is not None:
            kills.append(killed)
    assert len(kills) == 3, f"only {len(kills)} of 10 kills landed mid-run"
    _passes(settings, 2)

    store = Store.open(store_url)
    try:
        runs = {run.id: run for run in store.runs(limit=None)}
        entries = {e.payload["run"]: e for e in store.audit_entries(limit=None, action="collector.interrupted")}
        assert store.check_audit().ok
    finally:
        store.close()
    assert [run.id for run in runs.values() if run.status == "running"] == []
    cut = {run_id: owner for owner, left in kills for run_id in left}
    assert sorted(run.id for run in runs.values() if run.status == "interrupted") == sorted(cut) == sorted(entries)
    for run_id, owner in cut.items():
        run, payload = runs[run_id], entries[run_id].payload
        assert run.finished_at is not None and run.finished_at >= run.started_at
        assert run.error.startswith(f"never finished: {payload['taken_over_by']} took the collector lock from {owner} at ")
        assert (payload["owner"], payload["started"], payload["error"]) == (owner, run.started_at, run.error)
        assert payload["taken_over_by"] != owner
    assert fleet.store_rows(store_url).differences(want) == []
    backend = store_url.split(":")[0]
    figure(f"{backend} runs cut by 3 kills and closed as interrupted", len(cut))


def test_a_lock_whose_holder_process_is_gone_is_taken_over_and_a_live_ones_is_not(store, open_store):
    from sloboard.errors import StoreLockedError

    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stuck = store.lock("collector", f"{host}:{dead.pid}")
    stuck.__enter__()  # never released: the holder was killed
    with open_store().lock("collector", f"{host}:{os.getpid() + 1}"):
        pass
    with store.lock("collector", f"{host}:{os.getpid()}"):  # this process: alive
        with pytest.raises(StoreLockedError, match=f"held by {host}:{os.getpid()}"):
            with open_store().lock("collector", f"{host}:{dead.pid}"):
                pass


def test_a_new_services_history_cut_short_by_a_kill_continues_until_the_shared_query_covers_it(store):
    from collectors.queries import load_queries
    from collectors.targets import GroupedGoldenSignalTarget

    target = GroupedGoldenSignalTarget("traffic", frozenset({"cut", "done", "fresh"}), load_queries())
    store.set_watermark(target.key, 10_000)
    store.set_watermark("golden:cut:traffic", 4_000)  # killed mid-history
    store.set_watermark("golden:done:traffic", 10_000)  # finished in the pass it joined
    assert [t.key for t in target.catch_up(store)] == ["golden:cut:traffic", "golden:fresh:traffic"]
    store.set_watermark("golden:cut:traffic", 10_000)
    assert [t.key for t in target.catch_up(store)] == ["golden:fresh:traffic"]
