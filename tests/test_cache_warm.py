"""``warmer.warm``, as the scheduler calls it after a collection pass, fills the Redis that
the dashboard's workers share; a deployment recorded afterwards makes them compute the
results that read deployments again, and only those. A real store (SQLite) and Redis.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from dashboard.app import create_app
from dashboard.cache_compute import deployments_version
from dashboard.context import EXTENSION_KEY
from dashboard.warmer import warm
from sloboard.domain import DeployStatus, Deployment
from sloboard.reads.status import status_report
from sloboard.settings import Settings
from sloboard.store import Store
from sloboard.wiring import load_slos
from tests.factories import settings_read_options
from tests.redis_keys import redis_keys  # noqa: F401 (a fixture)

SPECS_DIR = Path(__file__).resolve().parents[1] / "slo_specs"
STEP_S = 60
END = 1_789_948_800  # on the step grid
DAYS = 3


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('warm') / 'sloboard.db'}"
    slos = load_slos(Settings(specs_dir=SPECS_DIR)).slos
    with Store.open(url) as store:
        seed_store(store, generate_fleet(DEMO_SERVICES, END - DAYS * 86_400, END, step_s=STEP_S, seed=0), slos)
    return url


@pytest.fixture
def store(seeded_url, tmp_path):
    # Each test records deployments of its own: a copy of the seeded database.
    copy = tmp_path / "sloboard.db"
    copy.write_bytes(Path(seeded_url.removeprefix("sqlite:///")).read_bytes())
    with Store.open(f"sqlite:///{copy}") as opened:
        yield opened


def _settings(store, redis_keys, tmp_path) -> Settings:
    return Settings(database_url=store.url, specs_dir=SPECS_DIR, data_dir=tmp_path,
                    cache={"url": redis_keys.url, "key_prefix": redis_keys.prefix})


def _worker(settings, store):
    """A new dashboard worker's context (nothing kept in its process yet)."""
    return create_app(settings, store=store, clock=lambda: END + 30).server.extensions[EXTENSION_KEY]


def _computed(ctx, result: str) -> int:
    return ctx.metrics.computations._counts.get(result, 0)


def test_warm_computes_the_overview_once_for_every_worker(store, redis_keys, tmp_path):
    settings = _settings(store, redis_keys, tmp_path)
    assert warm(settings, store, clock=lambda: END + 30) == END
    workers = [_worker(settings, store) for _ in range(2)]
    for ctx in workers:
        assert ctx.report(END) == status_report(store, ctx.slos, END, **settings_read_options(settings))
        ctx.dora_trends(END, None)
        ctx.cost_trends(END, "total")
        assert [_computed(ctx, r) for r in ("status", "dora_trends", "cost_trends")] == [0, 0, 0]


def test_warm_without_a_shared_cache_does_nothing(store, tmp_path):
    assert warm(Settings(database_url=store.url, specs_dir=SPECS_DIR, data_dir=tmp_path), store) is None


def test_a_deployment_recorded_later_is_counted_and_only_what_reads_deployments_is_computed_again(
        store, redis_keys, tmp_path):
    settings = _settings(store, redis_keys, tmp_path)
    warm(settings, store, clock=lambda: END + 30)
    before = deployments_version(store)
    first = _worker(settings, store)
    counted = {e.service: e.deployments for e in first.report(END).dora if e.window == "30d"}

    store.record_deployment(Deployment("checkout", "v-late", DeployStatus.SUCCEEDED,
                                       datetime.fromtimestamp(END - 600, timezone.utc), source="api"))

    assert deployments_version(store) > before
    later = _worker(settings, store)
    recounted = {e.service: e.deployments for e in later.report(END).dora if e.window == "30d"}
    assert recounted == counted | {"checkout": counted["checkout"] + 1, "*": counted["*"] + 1}  # "*": all services
    assert first.report(END) == later.report(END)  # the first worker sees the new version too, computed once
    later.cost_trends(END, "total")
    # The warm-up fills the overview, which shows no DORA entries: the first worker computed them
    # for the old version, the later one for the new; the first then sees the new one.
    assert _computed(later, "dora") + _computed(first, "dora") == 2
    # The SLO and cost entries and the cost trends read no deployments: still the warmed ones.
    assert _computed(later, "status") == _computed(first, "status") == _computed(later, "cost_trends") == 0


def test_a_collection_pass_marked_by_warm_makes_every_result_new(store, redis_keys, tmp_path):
    settings = _settings(store, redis_keys, tmp_path)
    warm(settings, store, clock=lambda: END + 30)
    ctx = _worker(settings, store)
    ctx.cost_trends(END, "total")
    warm(settings, store, clock=lambda: END + 30)  # after the next pass: computed afresh, there
    ctx.cost_trends(END, "total")
    generations = {key.decode().rsplit(":", 2)[-2] for key in redis_keys.keys() if b":cost_trends/total:" in key}
    assert generations == {"1", "2"} and _computed(ctx, "cost_trends") == 0
