"""The visible "computing" note: a worker that serves the previous instant's figures while
another worker computes the new ones says so on the page (colour, icon, word), not only in
the ``X-Sloboard-Computing`` header.

Workers are ``InstantResults`` of their own on one real Redis (tests/test_cache.py); the page
test runs the overview's load callbacks through Flask's test client, with "another worker"
holding the lock of the new instant's status report.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import flask
import pytest

from bench.dashboard import flask_client, load_page
from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from dashboard.app import create_app
from dashboard.cache_compute import COMPUTING_HEADER, add_computing_header, computing_state
from dashboard.components.computing import computing_note
from dashboard.context import EXTENSION_KEY
from sloboard.settings import Settings
from sloboard.store import Store
from sloboard.wiring import load_slos
from tests.redis_keys import redis_keys  # noqa: F401 (a fixture)
from tests.test_cache import _worker
from tests.test_dashboard_warmer import CountingStore

SPECS_DIR = Path(__file__).resolve().parents[1] / "slo_specs"
STEP_S = 60
END = 1_789_948_800  # 2026-09-20 00:00 UTC, on the step grid


def _text(component) -> str:
    """The words of a Dash component tree, as a browser would show them."""
    if component is None or isinstance(component, str):
        return component or ""
    if isinstance(component, (list, tuple)):
        return "".join(_text(c) for c in component)
    if isinstance(component, dict):  # as the page's JSON has it
        return _text(component.get("props", {}).get("children"))
    return _text(getattr(component, "children", None))


def test_the_note_names_the_instant_served_while_another_worker_computes(redis_keys):
    results, _metrics = _worker(redis_keys.url, redis_keys.prefix, wait_s=0.2)
    results.get("status", END - 600, lambda: "the report ten minutes ago")
    other, _ = _worker(redis_keys.url, redis_keys.prefix)
    assert other.shared.lock(f"specs-1:{END}:status:0:*") is not None  # computing, not finished

    with flask.Flask("page").test_request_context("/"):
        assert computing_note("UTC") is None  # nothing served yet
        assert results.get("status", END, lambda: pytest.fail("computed while another worker does")) \
            == "the report ten minutes ago"
        assert computing_state() == (END - 600, END)
        note = computing_note("Asia/Kolkata")  # +05:30: 23:50 UTC is 05:20 there
        headers = add_computing_header(flask.Response("page")).headers
    assert note.id == "computing-note" and "banner-computing" in note.className and note.role == "status"
    assert _text(note) == "↻ Computing. Figures as of 05:20; newer figures are being computed."
    assert headers[COMPUTING_HEADER] == str(END)


def test_no_note_when_every_figure_is_of_the_instant_asked_for(redis_keys):
    results, _metrics = _worker(redis_keys.url, redis_keys.prefix, wait_s=0.2)
    with flask.Flask("page").test_request_context("/"):
        assert results.get("status", END, lambda: "computed here") == "computed here"
        assert computing_state() is None and computing_note("UTC") is None
    assert computing_note("UTC") is None  # outside any request


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('computing') / 'sloboard.db'}"
    slos = load_slos(Settings(specs_dir=SPECS_DIR)).slos
    with Store.open(url) as store:
        seed_store(store, generate_fleet(DEMO_SERVICES, END - 86_400, END, step_s=STEP_S, seed=0), slos)
    return url


def test_the_overview_shows_the_note_while_another_worker_computes_the_new_instant(seeded_url, redis_keys,
                                                                                   tmp_path, clock):
    settings = Settings(database_url=seeded_url, specs_dir=SPECS_DIR, data_dir=tmp_path, timezone="UTC",
                        cache={"url": redis_keys.url, "key_prefix": redis_keys.prefix, "wait_s": 0.2})
    clock.now = END - 30
    app = create_app(settings, clock=clock)
    ctx = app.server.extensions[EXTENSION_KEY]
    get, post = flask_client(app)
    _times, page = load_page(get, post, "/")
    assert "computing-note" not in page.props  # this worker computed the instant itself
    first = ctx.at()

    clock.advance(STEP_S)
    at = ctx.at()
    other, _ = _worker(redis_keys.url, redis_keys.prefix)
    token = other.shared.lock(ctx.results.shared_key("status", at))
    assert token is not None
    _times, page = load_page(get, post, "/")
    note = page.props["computing-note"]
    served = datetime.fromtimestamp(first, timezone.utc).strftime("%H:%M")
    assert _text(note["children"]) == f"↻ Computing. Figures as of {served}; newer figures are being computed."
    assert "banner-computing" in note["className"]

    other.shared.unlock(ctx.results.shared_key("status", at), token)
    _times, page = load_page(get, post, "/")  # nobody computes it now: this worker does, no note
    assert "computing-note" not in page.props


def test_a_worker_served_from_the_shared_cache_reads_no_deployments_or_cost_rows(seeded_url, redis_keys, tmp_path,
                                                                                 clock):
    """The overview's inputs (deployments, every cost series' rows) are read by the worker
    that computes the report and trends, not by every worker that shows them."""
    settings = Settings(database_url=seeded_url, specs_dir=SPECS_DIR, data_dir=tmp_path,
                        cache={"url": redis_keys.url, "key_prefix": redis_keys.prefix})
    clock.now = END - 30
    with Store.open(seeded_url) as first_store, Store.open(seeded_url) as second_store:
        computing, served = CountingStore(first_store), CountingStore(second_store)
        load_page(*flask_client(create_app(settings, store=computing, clock=clock)), "/")
        load_page(*flask_client(create_app(settings, store=served, clock=clock)), "/")
    # The overview's DORA tiles are trends of daily counts: it reads no deployment rows.
    assert computing.calls["deployment_events"] == 0 and computing.calls["deployment_days"] == 1
    assert computing.calls["read_series_sums_many"] >= 1
    assert served.calls["deployment_days"] == 0 and served.calls["deployment_events"] == 0
    assert served.calls["read_series_sums_many"] == 0
