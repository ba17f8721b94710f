"""What the fault tests collect, how they collect it, and how they compare stores.

Thirty days (and a margin) of ``http_requests_total{service, instance, code}`` as real
scrapes record them (``tests/integration/scrapes``: 30 s and 60 s intervals at
their own offsets with jitter, a restart, a lazily created 5xx series), backfilled into
a real Prometheus; two availability SLOs over it; settings for a collector over it.

``store_rows`` reads every row a collection writes, keyed by what it means (SLO id,
series kind/scope/name) rather than by surrogate ids, so two stores compare row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import sqlalchemy as sa
import yaml

from collectors.collect import PassSummary, collect_once
from sloboard.settings import Settings
from sloboard.store import models
from sloboard.wiring import load_slos, prometheus_source
from tests.integration import prom, scrapes
from tests.integration.scrapes import Target

STEP = 60
DAY = 86_400
AT = int(datetime(2026, 6, 10, tzinfo=timezone.utc).timestamp())
BACKFILL_DAYS = 30
START = AT - (BACKFILL_DAYS + 1) * DAY  # a day of margin before the backfill's first step

TARGETS = (
    Target("checkout", "a:8080", 30, 3.417, restarts=(9 * DAY + 3600 + 460.5,)),
    Target("checkout", "b:8080", 60, 41.7),
    Target("search", "a:8080", 60, 17.2, rates=(10.0, 0.05)),
)
SERVICES = ("checkout", "search")


def openmetrics(start: int = START) -> str:
    """The targets' scrapes from ``start`` to ``AT`` as OpenMetrics text for a backfill."""
    series = [s for i, t in enumerate(TARGETS) for s in scrapes.metric_series(scrapes.scrape(t, start, AT, seed=i))]
    return prom.to_openmetrics(series)


# The golden signals these counters answer; the product's other queries (latency, saturation,
# cost) would find no series here and only lengthen every pass.
GOLDEN = ("traffic", "error_ratio")


def write_queries(path: Path) -> Path:
    """The product's own queries file, cut to ``GOLDEN`` and the deployments query."""
    default = yaml.safe_load(resources.files("sloboard.data").joinpath("queries.yaml").read_text(encoding="utf-8"))
    golden = {name: default["golden_signals"][name] for name in GOLDEN}
    path.write_text(yaml.safe_dump({"golden_signals": golden, "deployments": default["deployments"]}))
    return path


def write_specs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (folder / f"{service}.yaml").write_text(
            scrapes.availability_spec(service, f'service="{service}"', "30d", 0.99))
    return folder


def settings_for(prometheus_url: str, database_url: str, data_dir: Path, specs_dir: Path, **collect) -> Settings:
    """A collector's settings: ``GOLDEN`` signals only, every step kept (the data lies in the
    past), quick retries."""
    return Settings(
        data_dir=data_dir, specs_dir=specs_dir, database_url=database_url,
        queries_file=write_queries(specs_dir.parent / f"{specs_dir.name}-queries.yaml"),
        prometheus={"url": prometheus_url, "retry_max_s": 0.5, "timeout_s": 20},
        collect={"raw_retention": "36500d", "golden_raw_retention": "36500d", "lookback": "5m", **collect},
    )


def collect(settings: Settings, store, *, until: int, since_s: int) -> PassSummary:
    """One collection pass, as `sloboard collect` and `sloboard run` make it."""
    source = prometheus_source(settings)
    try:
        return collect_once(settings, store, load_slos(settings).slos, source, until=until, since_s=since_s)
    finally:
        source.close()


@dataclass(frozen=True)
class StoreRows:
    """Every row a collection writes, as sorted tuples; series values apart (compared to 1e-12)."""

    sli: list[tuple]
    sli_hourly: list[tuple]
    series_keys: list[tuple]
    series_values: np.ndarray
    series_hourly_keys: list[tuple]
    series_hourly_values: np.ndarray
    deployments: list[tuple]
    watermarks: list[tuple]

    def differences(self, clean: "StoreRows") -> list[str]:
        """What differs from ``clean``, in words; empty when the stores hold the same rows."""
        out = []
        for name in ("sli", "sli_hourly", "series_keys", "series_hourly_keys", "deployments", "watermarks"):
            got, want = getattr(self, name), getattr(clean, name)
            if got != want:
                extra, lost = sorted(set(got) - set(want)), sorted(set(want) - set(got))
                out.append(f"{name}: {len(got)} rows against {len(want)} "
                           f"({len(got) - len(set(got))} duplicates, {len(extra)} extra, e.g. {extra[:2]}, "
                           f"{len(lost)} missing, e.g. {lost[:2]})")
        for name in ("series_values", "series_hourly_values"):
            got, want = getattr(self, name), getattr(clean, name)
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True):
                out.append(f"{name} differ")
        return out


def store_rows(database_url: str) -> StoreRows:
    m = models
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            def rows(query) -> list[tuple]:
                return sorted(tuple(r) for r in conn.execute(query))

            slo = sa.select(m.slos.c.id, m.slos.c.slo_id).subquery()
            sli = rows(sa.select(slo.c.slo_id, m.sli_samples.c.ts, m.sli_samples.c.good, m.sli_samples.c.total)
                       .join(slo, slo.c.id == m.sli_samples.c.slo_pk))
            sli_hourly = rows(sa.select(slo.c.slo_id, m.sli_hourly.c.ts, m.sli_hourly.c.good, m.sli_hourly.c.total,
                                        m.sli_hourly.c.steps).join(slo, slo.c.id == m.sli_hourly.c.slo_pk))
            s = m.series.c
            per_step = rows(sa.select(s.kind, s.scope, s.name, m.series_samples.c.ts, m.series_samples.c.value)
                            .join(m.series, s.id == m.series_samples.c.series_id))
            hourly = rows(sa.select(s.kind, s.scope, s.name, m.series_hourly.c.ts, m.series_hourly.c.steps,
                                    m.series_hourly.c.value).join(m.series, s.id == m.series_hourly.c.series_id))
            d = m.deployments.c
            deployments = rows(sa.select(d.service, d.version, d.status, d.started_at, d.finished_at, d.source,
                                         d.commit, d.committed_at))
            watermarks = rows(sa.select(m.watermarks.c.key, m.watermarks.c.ts))
    finally:
        engine.dispose()
    return StoreRows(
        sli, sli_hourly,
        [r[:4] for r in per_step], np.array([r[4] for r in per_step], dtype=float),
        [r[:5] for r in hourly], np.array([r[5] for r in hourly], dtype=float),
        deployments, watermarks,
    )
