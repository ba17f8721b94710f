"""Incremental collection at 1,000 SLOs (issue 13): one new minute for every target, from a
real Prometheus, within 15 s.

The Prometheus holds ``SERVICES`` services of the synthetic fleet (two SLOs each, the
bench specs of ``bench.specs``) for the last ``HISTORY_S`` before ``fleet.END_EPOCH``,
every family a real exporter would have (``tests/openmetrics_backfill.py``: request
counters, the latency histogram, cAdvisor, kube-state-metrics, deployments, OpenCost),
backfilled with promtool. Samples sit at scrape offsets, not on the step grid: every
scrape target (a pod, else a service, else a node) has its own offset inside the minute
(``scrape_offset_s``), and the sample that carries the counters through step end T is
written at T minus that offset, so each step still counts exactly the fleet's events of
that step: the truth the collected counts are checked against. The TSDB is cached under
``.bench/prometheus/incremental-<key>/``.

A store is collected once up to one minute before the end (``SEED_S`` of history, the
watermarks of every target); each timed round copies it and runs ``collect_pass`` up to
the end with the product's defaults (``collect.concurrency`` queries in flight): one new
step for 1,000 SLOs, the six golden signals of 500 services, deployments and cost.

Baseline: the range requests that pass made, recorded, sent again one after another
with plain ``requests.post`` (form bodies, as the collector sends them) and decoded with
``.json()``. Best of ``ROUNDS`` each, alternating. For scale, the notes also time the
requests of the same pass without grouped SLI queries (two per SLO), sent alike.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import zlib
from pathlib import Path
from typing import TextIO

import numpy as np

from collectors.collect import PassSummary, collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.synthetic import Fleet, generate_fleet, sli_of
from collectors.grouping import SLIGroup, sli_groups
from collectors.targets import SLITarget, targets_for
from sloboard.settings import CollectSettings, PrometheusSettings
from sloboard.store import Store
from tests.openmetrics_backfill import write_openmetrics

from .collection import RecordingSource, bare_requests
from .fleet import END_EPOCH, SEED, STEP_S, load_slos
from .prometheus import backfill, start_cached
from .report import Result, at_most
from .specs import write_specs
from .timing import fmt_s

SERVICES = 500
HISTORY_S = 3 * 3600  # what the TSDB holds: the seeding pass and the counters' lookback
SEED_S = 3600  # the history the store holds before the timed pass
BUILD_VERSION = 1
ROUNDS = 3
TARGET_S = 15.0
SETTINGS = CollectSettings()  # the product's defaults: what `sloboard collect` does


def scrape_offset_s(target: str) -> float:
    """How long before each step end ``target`` is scraped: 0.5 to 59.5 s, with milliseconds,
    fixed per target as a real scrape loop's offset is."""
    return 0.5 + zlib.crc32(target.encode()) % 59_000 / 1000


class ScrapeOffsetWriter:
    """A text file for ``write_openmetrics`` that moves each sample to its target's scrape
    time. Every write is whole lines; a sample's target is its ``pod``, else its ``service``
    (or ``namespace``), else its ``node`` label."""

    def __init__(self, out: TextIO):
        self.out = out
        self._offsets: dict[str, float] = {}

    def write(self, text: str) -> None:
        lines = []
        for line in text.splitlines():
            if line.startswith("#"):
                lines.append(line)
                continue
            series, value, ts = line.rsplit(" ", 2)
            offset = self._offsets.get(series)
            if offset is None:
                offset = self._offsets[series] = scrape_offset_s(_scrape_target(series))
            lines.append(f"{series} {value} {int(ts) - offset:.3f}")
        self.out.write("\n".join(lines) + "\n")


def _scrape_target(series: str) -> str:
    labels = dict(pair.split("=", 1) for pair in series[series.index("{") + 1 : -1].split(","))
    for name in ("pod", "service", "namespace", "node"):
        if name in labels:
            return f"{name}={labels[name]}"
    raise ValueError(f"no scrape target in {series}")


def _key() -> str:
    text = json.dumps([SERVICES, HISTORY_S, END_EPOCH, SEED, STEP_S, BUILD_VERSION])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _build(folder: Path, fleet: Fleet, promtool: str, log) -> None:
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    began = time.perf_counter()
    log(f"backfilling the incremental-pass Prometheus ({SERVICES} services, {HISTORY_S // 3600} h) into {folder}")
    path = staging / "fleet.om"
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        write_openmetrics(fleet, ScrapeOffsetWriter(out))
    size = path.stat().st_size
    backfill(promtool, path, staging / "data")
    path.unlink()
    seconds = round(time.perf_counter() - began, 1)
    log(f"  {size / 1e6:.0f} MB of OpenMetrics backfilled in {seconds:.0f} s")
    (staging / "manifest.json").write_text(json.dumps(
        {"services": SERVICES, "start": fleet.start, "end": fleet.end, "build_seconds": seconds}, indent=2))
    staging.rename(folder)


def _pass(store_path: Path, slos, source, until: int) -> tuple[float, PassSummary]:
    with Store.open(f"sqlite:///{store_path.resolve()}") as store:
        began = time.perf_counter()
        summary = collect_pass(store, source, targets_for(slos, load_queries(), SETTINGS.lookback_s), until=until,
                               since_s=SEED_S, step=STEP_S, max_points=SETTINGS.max_points_per_query, slos=slos,
                               concurrency=SETTINGS.concurrency)
        return time.perf_counter() - began, summary


def ungrouped_calls(calls, slos) -> list:
    """The pass's requests with each SLI group's two queries replaced by each member's own two."""
    targets = [SLITarget(slo, SETTINGS.lookback_s) for slo in slos]
    one_step = {t.key: (END_EPOCH, END_EPOCH) for t in targets}
    grouped = {query.text(job.values) for job in sli_groups(targets, one_step, STEP_S, SETTINGS.max_points_per_query)
               if isinstance(job, SLIGroup) for query in (job.numerator, job.total)}
    own = [(query, END_EPOCH, END_EPOCH, STEP_S) for t in targets for query in t.per_step_queries(STEP_S)]
    return own + [call for call in calls if call[0] not in grouped]


def check_truth(store_path: Path, slos, fleet: Fleet) -> list[str]:
    """What differs from the fleet's truth: each SLO's counts step by step over the store's
    history, and each service's traffic (requests per second) and cost in the last step,
    each of which must be there."""
    lo = END_EPOCH - SEED_S
    keep = fleet.ts > lo
    services = list(fleet.service_names)
    with Store.open(f"sqlite:///{store_path.resolve()}") as store:
        collected = store.read_sli_samples_many([slo.id for slo in slos], lo, END_EPOCH)
        traffic = store.read_series_many("golden", [(s, "traffic") for s in services], END_EPOCH - STEP_S, END_EPOCH)
        cost = store.read_series_many("cost", [(f"service:{s}", "opencost") for s in services],
                                      END_EPOCH - STEP_S, END_EPOCH)
    wrong = []
    for slo in slos:
        ts, good, total = collected[slo.id]
        want_good, want_total = sli_of(slo, fleet.series(slo.service))
        if not (np.array_equal(ts, fleet.ts[keep]) and np.array_equal(good, want_good[keep])
                and np.array_equal(total, want_total[keep])):
            wrong.append(f"SLO {slo.id}")
    for service in services:
        got = traffic[(service, "traffic")][1]
        if got.size != 1 or not np.allclose(got, fleet.requests(service)[-1:] / STEP_S, rtol=1e-12, atol=0):
            wrong.append(f"traffic of {service}")
        # To 0.1 %, as tests/integration/test_collect_e2e.py: the allocation query prices a node
        # from its total at OpenCost's default CPU:RAM ratio, not the fleet's own prices.
        got = cost[(f"service:{service}", "opencost")][1]
        if got.size != 1 or not np.allclose(got, fleet.cost_usd(f"service:{service}")[-1:], rtol=1e-3, atol=0):
            wrong.append(f"cost of {service}")
    return wrong


def _samples_by_kind(summary: PassSummary) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for result in summary.results:
        kind = result.key.split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + result.samples
    return kinds


def run(ctx) -> list[Result]:
    fleet = generate_fleet(SERVICES, END_EPOCH - HISTORY_S, END_EPOCH, step_s=STEP_S, seed=SEED)
    server = start_cached(ctx.root / "prometheus" / f"incremental-{_key()}", ctx.scratch / "prometheus-incremental",
                          lambda folder, promtool: _build(folder, fleet, promtool, ctx.log))
    try:
        write_specs(ctx.scratch / "incremental-specs", fleet.profiles)
        slos = load_slos(ctx.scratch / "incremental-specs")
        source = PrometheusSource(PrometheusSettings(url=server.url, timeout_s=120))
        seeded = ctx.scratch / "incremental-seed.db"
        seed_s, seed_summary = _pass(seeded, slos, source, END_EPOCH - STEP_S)
        if seed_summary.failed:
            raise RuntimeError("the seeding pass failed: " + "; ".join(f"{r.key}: {r.error}" for r in seed_summary.failed))
        pass_s, bare_s, summary, calls = float("inf"), float("inf"), None, []
        for i in range(ROUNDS):
            path = ctx.scratch / f"incremental-{i}.db"
            shutil.copyfile(seeded, path)
            recorder = RecordingSource(source)
            seconds, summary = _pass(path, slos, recorder, END_EPOCH)
            pass_s, calls = min(pass_s, seconds), recorder.calls
            bare_s = min(bare_s, bare_requests(server.url, calls))
        ungrouped = ungrouped_calls(calls, slos)
        ungrouped_s = bare_requests(server.url, ungrouped)
        source.close()
        wrong = check_truth(path, slos, fleet)
    finally:
        server.stop()
    kinds = _samples_by_kind(summary)
    notes = [
        f"{len(summary.results)} targets, {len(calls)} range requests, {summary.samples:,} samples "
        f"({', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))}); concurrency {SETTINGS.concurrency}; "
        f"best of {ROUNDS}; the store was seeded with {SEED_S // 60} min in {seed_s:.1f} s",
        f"without grouped SLI queries the pass asks {len(ungrouped):,} requests; sent alike, sequentially: "
        f"{fmt_s(ungrouped_s)}",
        (f"collected data DIFFER from the fleet's truth for {len(wrong)}: {', '.join(wrong[:5])}" if wrong else
         f"collected counts equal the fleet's, step by step, for all {len(slos)} SLOs over the store's "
         f"{SEED_S // 60 + 1} min, and each service's traffic and cost in the new minute"),
    ]
    if summary.failed:
        notes.append("FAILED targets: " + "; ".join(f"{r.key}: {r.error}" for r in summary.failed[:5]))
    ok = not wrong and not summary.failed and kinds.get("sli", 0) == len(slos)
    return [Result(
        f"incremental collection pass, {len(slos):,} SLOs, real Prometheus",
        figure=fmt_s(pass_s), target=f"<= {TARGET_S:g} s", met=at_most(pass_s, TARGET_S) and ok,
        baseline=f"bare query_range, sequential, {fmt_s(bare_s)}", ratio=f"{pass_s / bare_s:.2f}x time",
        notes=notes,
    )]
