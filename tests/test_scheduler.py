"""The jobs of ``sloboard run``: a collection tick that meets a dead Prometheus records the
failure and keeps the scheduler alive, and warms the workers' shared cache (a real Redis);
the hourly prune keeps the hourly rollups."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from sloboard.scheduler import prune_raw_samples, start_scheduler
from sloboard.settings import PrometheusSettings, Settings
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.redis_keys import redis_keys  # noqa: F401 (a fixture)
from tests.series_reads import read_series, read_series_hourly

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"


def test_collect_tick_against_a_dead_prometheus_records_failed_runs(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, specs / name)
    settings = Settings(
        data_dir=tmp_path,
        specs_dir=specs,
        prometheus=PrometheusSettings(url="http://127.0.0.1:1", retry_max_s=0, timeout_s=1),
        database_url=f"sqlite:///{tmp_path / 'run.db'}",
    )
    url = settings.db_url
    Store.open(url).close()
    scheduler = start_scheduler(settings)
    try:
        deadline = time.monotonic() + 60
        runs = []
        while time.monotonic() < deadline:
            with Store.open(url) as store:
                runs = [r for r in store.runs(limit=100) if r.status != "running"]
            if runs and len(runs) >= 2:
                break
            time.sleep(0.5)
    finally:
        scheduler.shutdown(wait=True)
    assert runs, "the first collection tick did not run"
    assert all(r.status == "failed" and "127.0.0.1:1" in (r.error or "") for r in runs)
    assert {r.query_key for r in runs} >= {"sli:checkout/availability", "sli:checkout/latency"}


def test_prune_deletes_old_steps_and_keeps_the_hourly_rollups(tmp_path):
    settings = Settings(data_dir=tmp_path)
    now = 1_800_000_000 // 3600 * 3600
    with Store.open(f"sqlite:///{tmp_path / 'p.db'}") as store:
        store.sync_slos(load_specs([SPECS]).slos)
        ts = np.arange(now - 40 * 86_400 + 60, now + 1, 60, dtype=np.int64)
        store.write_sli_samples("checkout/availability", ts, np.full(ts.size, 9.0), np.full(ts.size, 10.0))
        deleted = prune_raw_samples(settings, store, clock=lambda: now)
        cutoff = now - 35 * 86_400
        assert deleted == int((ts <= cutoff).sum())
        kept, _, _ = store.read_sli_samples("checkout/availability", now - 41 * 86_400, now)
        assert kept.min() == cutoff + 60
        hours = store.read_sli_hourly_many(["checkout/availability"], now - 41 * 86_400, now)["checkout/availability"]
        assert hours[2].sum() == 10.0 * ts.size  # every step's total still counted, by the hour


def test_prune_applies_each_retention_setting(tmp_path):
    """Golden signals keep 1 day of steps and 2 (whole UTC days) of hours, SLIs and cost 3 days of
    steps, and rollups older than the rollup retention go as well (small settings here, so the
    arrays stay short)."""
    settings = Settings(data_dir=tmp_path, collect={"raw_retention": "3d", "golden_raw_retention": "1d",
                                                    "golden_hourly_retention": "2d", "rollup_retention": "5d"})
    now = 1_800_000_000 // 3600 * 3600
    with Store.open(f"sqlite:///{tmp_path / 'p.db'}") as store:
        store.sync_slos(load_specs([SPECS]).slos)
        ts = np.arange(now - 7 * 86_400 + 60, now + 1, 60, dtype=np.int64)
        ones = np.ones(ts.size)
        store.write_sli_samples("checkout/availability", ts, ones, ones)
        store.write_series("golden", "checkout", "traffic", ts, ones)
        store.write_series("cost", "service:checkout", "opencost", ts, ones)
        prune_raw_samples(settings, store, clock=lambda: now)
        first_step = {
            "sli": store.read_sli_samples("checkout/availability", 0, now)[0].min(),
            "golden": read_series(store, "golden", "checkout", "traffic", 0, now)[0].min(),
            "cost": read_series(store, "cost", "service:checkout", "opencost", 0, now)[0].min(),
        }
        assert first_step == {"sli": now - 3 * 86_400 + 60, "golden": now - 86_400 + 60, "cost": now - 3 * 86_400 + 60}
        hourly = store.read_sli_hourly_many(["checkout/availability"], 0, now)["checkout/availability"]
        assert hourly[0].min() == now - 5 * 86_400 + 3600 and hourly[2].sum() == 5 * 86_400 / 60
        golden_hours = read_series_hourly(store, "golden", [("checkout", "traffic")], 0, now)[("checkout", "traffic")]
        day_horizon = (now - 2 * 86_400) // 86_400 * 86_400
        assert golden_hours[0].min() == day_horizon + 3600 and golden_hours[2].sum() == (now - day_horizon) / 60
        golden_days = store.read_series_spans_many("golden", [("checkout", "traffic")], [], (0, 0), (0, now))[1]
        assert golden_days[("checkout", "traffic")][0].min() == (now - 5 * 86_400) // 86_400 * 86_400 + 86_400


def test_a_collection_tick_warms_the_cache_the_dashboard_workers_share(tmp_path, redis_keys):
    from sloboard.scheduler import runtime
    from sloboard.scheduler.jobs import collect_job

    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, specs / name)
    settings = Settings(data_dir=tmp_path, specs_dir=specs, database_url=f"sqlite:///{tmp_path / 'w.db'}",
                        prometheus=PrometheusSettings(url="http://127.0.0.1:1", retry_max_s=0, timeout_s=1),
                        cache={"url": redis_keys.url, "key_prefix": redis_keys.prefix})
    runtime.install(settings, clock=lambda: 1_800_000_000)
    assert redis_keys.keys() == []
    collect_job()  # Prometheus refuses: nothing written, and the overview is still computed once, for all workers
    warmed = {key.decode().removeprefix(redis_keys.prefix) for key in redis_keys.keys()}
    assert any(":status" in key for key in warmed), warmed
