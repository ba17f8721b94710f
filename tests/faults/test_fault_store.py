"""The database failing under a collection pass from a real Prometheus.

- SQLite locked by another writer (a second connection holding BEGIN EXCLUSIVE): for
  less than the busy timeout the pass waits and completes; for longer the pass is stopped
  by a StoreUnavailable ("database is locked") and repeated until the lock is gone.
- PostgreSQL restarted mid-pass (a private server, so the shared one is untouched): the
  pass stopped by the lost connection is repeated and completes.
Either way the store then holds exactly a clean pass's rows.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from sloboard.errors import StoreError
from sloboard.store import Store
from tests.missing import missing

from . import fleet
from .private_postgres import PrivatePostgres, find_bin_dir

pytestmark = pytest.mark.integration

SINCE_S = 3 * fleet.DAY
# 12 hours per request: each query takes six chunks, so a fault lands mid-pass.
COLLECT = {"max_points_per_query": 720, "concurrency": 1}


@pytest.fixture(scope="module")
def prometheus(prometheus_with):
    return prometheus_with(fleet.openmetrics())


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    return fleet.write_specs(tmp_path_factory.mktemp("specs"))


def _settings(prometheus, url, folder, specs):
    return fleet.settings_for(prometheus.url, url, folder, specs, **COLLECT)


def _pass(settings, store):
    return fleet.collect(settings, store, until=fleet.AT, since_s=SINCE_S)


@pytest.fixture(scope="module")
def clean(prometheus, specs, tmp_path_factory):
    """The rows of two clean passes (the second as the next tick: nothing new) and the first one's seconds."""
    folder = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{folder / 'clean.db'}"
    settings = _settings(prometheus, url, folder, specs)
    with Store.open(url) as store:
        began = time.monotonic()
        assert _pass(settings, store).failed == []
        seconds = time.monotonic() - began
        assert _pass(settings, store).failed == []
    return seconds, fleet.store_rows(url)


class Background:
    """A collection pass in a thread; ``result()`` returns its summary or raises its error."""

    def __init__(self, settings, store):
        self.summary, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(settings, store), daemon=True)
        self.thread.start()

    def _run(self, settings, store):
        try:
            self.summary = _pass(settings, store)
        except BaseException as exc:  # handed to the test thread
            self.error = exc

    def result(self, timeout_s: float = 120):
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the pass did not end"
        if self.error is not None:
            raise self.error
        return self.summary


def _count_sli_rows(conn) -> int:
    return conn.execute("SELECT count(*) FROM sli_samples").fetchone()[0]


def _wait_for_rows(read, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while read() == 0:
        assert time.monotonic() < deadline, f"no rows written before {what}"
        time.sleep(0.02)


def _hold_exclusive(path: str, hold_s: float) -> tuple[int, int]:
    """BEGIN EXCLUSIVE on a connection of our own, for ``hold_s``; returns the SLI rows at
    its start and end (the collector must not have written any in between)."""
    other = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        before = _count_sli_rows(other)
        time.sleep(hold_s)
        after = _count_sli_rows(other)
        other.execute("COMMIT")
    finally:
        other.close()
    return before, after


def test_sqlite_locked_for_less_than_the_busy_timeout_waits_and_completes(
    prometheus, specs, clean, tmp_path, figure
):
    clean_s, want = clean
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    settings = _settings(prometheus, url, tmp_path, specs)
    with Store.open(url, busy_timeout_s=5.0) as store:
        began = time.monotonic()
        background = Background(settings, store)
        with sqlite3.connect(path) as reader:
            _wait_for_rows(lambda: _count_sli_rows(reader), "the lock")
        before, after = _hold_exclusive(str(path), 3.0)
        summary = background.result()
        seconds = time.monotonic() - began
        assert _pass(settings, store).failed == []  # the next tick, as the clean store had
    figure("clean pass (s)", round(clean_s, 2))
    figure("pass with a 3 s exclusive lock of another writer (s)", round(seconds, 2))
    assert before == after, "the collector wrote while another connection held the write lock"
    assert summary.failed == []
    assert fleet.store_rows(url).differences(want) == []


def test_sqlite_locked_past_the_busy_timeout_the_pass_repeats_and_completes(
    prometheus, specs, clean, tmp_path, figure, caplog
):
    _, want = clean
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    settings = _settings(prometheus, url, tmp_path, specs)
    with Store.open(url, busy_timeout_s=0.5) as store:
        background = Background(settings, store)
        with sqlite3.connect(path) as reader:
            _wait_for_rows(lambda: _count_sli_rows(reader), "the lock")
        with caplog.at_level(logging.WARNING, logger="sloboard.collect"):
            _hold_exclusive(str(path), 3.0)
            summary = background.result()
        assert _pass(settings, store).failed == []  # the next tick, as the clean store had
    repeats = [r.getMessage() for r in caplog.records if "repeating it" in r.getMessage()]
    figure("repeats of the pass while another writer held the lock for 3 s (busy timeout 0.5 s)", len(repeats))
    figure("the first repeat's reason", repeats[0] if repeats else None)
    assert repeats and all("database is locked (another connection holds a write transaction" in m for m in repeats)
    assert summary.failed == []
    assert fleet.store_rows(url).differences(want) == []


def test_a_pass_is_repeated_only_while_the_store_is_unavailable_and_within_its_budget():
    from collectors.collect import PassSummary, repeat_while_store_unavailable
    from sloboard.errors import StoreUnavailable

    calls, sleeps = [], []

    def failing(times, error):
        def run_pass(progress):
            calls.append(1)
            if len(calls) <= times:
                raise error
            return PassSummary()
        return run_pass

    assert repeat_while_store_unavailable(failing(2, StoreUnavailable("busy")), print, 60, sleeps.append).results == []
    assert (len(calls), sleeps) == (3, [0.5, 1.0])
    calls.clear()
    with pytest.raises(StoreError, match="no such table"):  # not worth repeating: at once
        repeat_while_store_unavailable(failing(1, StoreError("no such table")), print, 60, sleeps.append)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(StoreUnavailable):  # the budget ran out
        repeat_while_store_unavailable(failing(99, StoreUnavailable("down")), print, 0.0, sleeps.append)
    assert len(calls) == 1


@pytest.fixture(scope="module")
def private_postgres():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        missing("PostgreSQL's initdb and pg_ctl are needed (Debian: apt-get install postgresql)")
    server = PrivatePostgres.create(bin_dir)
    yield server
    server.remove()


def test_postgres_restarted_mid_pass_the_pass_repeats_and_completes(
    prometheus, specs, clean, private_postgres, tmp_path, figure, caplog
):
    _, want = clean
    url = private_postgres.url
    settings = _settings(prometheus, url, tmp_path, specs)
    with Store.open(url) as store:
        background = Background(settings, store)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                _wait_for_rows(lambda: conn.execute(sa.text("SELECT count(*) FROM sli_samples")).scalar(),
                               "the restart")
        finally:
            engine.dispose()
        assert background.thread.is_alive(), "the pass ended before the restart: nothing was tested"
        with caplog.at_level(logging.WARNING, logger="sloboard.collect"):
            down_s = private_postgres.restart()
            summary = background.result()
        assert _pass(settings, store).failed == []  # and the next tick
    repeats = [r.getMessage() for r in caplog.records if "repeating it" in r.getMessage()]
    figure("PostgreSQL restart (s)", round(down_s, 2))
    figure("repeats of the pass during the restart", len(repeats))
    figure("the first repeat's reason", repeats[0] if repeats else None)
    assert summary.failed == []
    # Whatever the restart's phase (shutting down, refusing, dropping), the reason is the connection.
    assert all("connection" in m.split(" failed: ", 1)[1] for m in repeats), repeats
    assert fleet.store_rows(url).differences(want) == []
