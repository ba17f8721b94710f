"""The warmer computes each new instant's overview before a user asks: a render after it
reads from the store only what a render at an instant already computed reads, the entries
it fills equal the views computed directly, a failure is logged and the next instant is
still warmed, and a served dashboard runs it in a thread that ends with the server."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np
import pytest

from bench.dashboard import flask_client, replay_initial_load
from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from dashboard.app import create_app
from dashboard.context import EXTENSION_KEY
from dashboard.serve import serve
from dashboard.warmer import Warmer
from sloboard.settings import Settings
from sloboard.reads.status import status_report
from sloboard.store import Store
from sloboard.wiring import load_slos
from sloboard.reads.cost import cost_trends
from sloboard.reads.trends import dora_trends
from tests.factories import settings_read_options

SPECS_DIR = Path(__file__).resolve().parents[1] / "slo_specs"
STEP_S = 60
END = 1_789_948_800  # on the step grid
DAYS = 3


class CountingStore:
    """The store, counting the calls of its methods; names in ``broken`` raise instead."""

    def __init__(self, store):
        self._store = store
        self.calls: Counter = Counter()
        self.broken: set[str] = set()

    def __getattr__(self, name):
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            self.calls[name] += 1
            if name in self.broken:
                raise RuntimeError(f"{name} is broken for this test")
            return value(*args, **kwargs)
        return counted


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('warmer') / 'sloboard.db'}"
    slos = load_slos(Settings(specs_dir=SPECS_DIR)).slos
    with Store.open(url) as store:
        seed_store(store, generate_fleet(DEMO_SERVICES, END - DAYS * 86_400, END, step_s=STEP_S, seed=0), slos)
    return url


@pytest.fixture
def counting(seeded_url):
    with Store.open(seeded_url) as store:
        yield CountingStore(store)


@pytest.fixture
def settings(seeded_url, tmp_path) -> Settings:
    return Settings(database_url=seeded_url, specs_dir=SPECS_DIR, data_dir=tmp_path)


def test_a_render_after_warming_reads_only_what_a_render_of_a_computed_instant_reads(settings, counting, clock):
    clock.now = END - 30  # inside the last step: the instant is END - 60
    app = create_app(settings, store=counting, clock=clock)
    ctx = app.server.extensions[EXTENSION_KEY]
    client = flask_client(app)
    at = ctx.at()

    Warmer(ctx).check()
    for key in ("status", ("dora_trends", None), ("cost_trends", "total")):
        assert ctx.kept(key, at) is not None, key
    # The warmed entries are the views themselves, computed here without the dashboard.
    assert ctx.kept("status", at) == status_report(counting, ctx.slos, at, **settings_read_options(settings),
                                                     dora=False)  # the overview shows DORA trends instead
    np.testing.assert_equal(_plain(ctx.kept(("dora_trends", None), at)), _plain(dora_trends(counting, at, bands=ctx.dora_bands)))
    team_of = {s.service: s.team for s in ctx.slos if s.team}
    np.testing.assert_equal(_plain(ctx.kept(("cost_trends", "total"), at)),
                            _plain(cost_trends(counting, at, "total", team_of)))

    counting.calls.clear()
    replay_initial_load(*client, "/")
    after_warming = Counter(counting.calls)
    counting.calls.clear()
    replay_initial_load(*client, "/")
    assert after_warming == counting.calls, "the warmed render read what only a cold one reads"

    clock.advance(STEP_S)  # a new instant nobody warmed: the render reads the deployments itself
    counting.calls.clear()
    replay_initial_load(*client, "/")
    assert counting.calls["deployment_days"] > 0 and after_warming["deployment_days"] == 0
    assert sum(counting.calls.values()) > sum(after_warming.values())


def test_a_failed_warm_up_is_logged_and_the_next_instant_is_warmed(settings, counting, clock, caplog):
    clock.now = END - 30
    ctx = create_app(settings, store=counting, clock=clock).server.extensions[EXTENSION_KEY]
    warmer = Warmer(ctx)
    first = ctx.at()

    counting.broken = {"deployment_days"}
    with caplog.at_level(logging.ERROR, logger="dashboard.warmer"):
        warmer.check()
    assert [r.exc_info[0] for r in caplog.records] == [RuntimeError]
    assert ctx.kept(("dora_trends", None), first) is None
    warmer.check()  # the failed instant is not tried again every poll
    assert counting.calls["deployment_days"] == 1

    counting.broken = set()
    clock.advance(STEP_S)
    warmer.check()
    assert ctx.kept(("dora_trends", None), first + STEP_S) is not None
    assert ctx.kept(("dora_trends", None), first) is None


def test_the_thread_survives_a_failure_warms_the_next_instant_and_stops(settings, counting, clock):
    clock.now = END - 30
    ctx = create_app(settings, store=counting, clock=clock).server.extensions[EXTENSION_KEY]
    counting.broken = {"deployment_days"}
    warmer = Warmer(ctx, poll_s=0.01).start()
    try:
        _wait_for(lambda: counting.calls["deployment_days"] == 1, "the first, failing warm-up")
        counting.broken = set()
        clock.advance(STEP_S)
        _wait_for(lambda: ctx.kept(("cost_trends", "total"), ctx.at()) is not None, "the next instant warmed")
    finally:
        warmer.stop()
    assert not warmer._thread.is_alive()


def test_serve_warms_while_serving_and_its_warmer_ends_with_it(settings, counting, clock):
    clock.now = END - 30
    stop = threading.Event()

    def stop_once_warmed():  # no request is made: only the warmer reads the deployments
        try:
            _wait_for(lambda: counting.calls["deployment_days"] == 1, "the warmer's first warm-up")
        finally:
            stop.set()
    stopper = threading.Thread(target=stop_once_warmed, daemon=True)
    stopper.start()
    serve(settings, "127.0.0.1", 0, store=counting, clock=clock, stop=stop)  # Dash builds apps in the main thread
    stopper.join()
    assert counting.calls["deployment_days"] == 1
    assert not [t for t in threading.enumerate() if t.name == "sloboard-warmer"]


def _wait_for(condition, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _plain(value):
    """Dataclasses (trends, series) as dicts, so numpy compares their arrays (NaN equal to NaN)."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
