"""Collection: a 30-day backfill of the demo specs from a real Prometheus with ``collect_pass``.

The benchmark Prometheus (``bench.prometheus``) holds the demo services with every
family. ``collect_pass`` runs over every target of the demo specs (SLIs, golden
signals, deployments, cost) into a fresh SQLite store, with the product's defaults
(60 s steps, at most 11,000 points per request, ``collect.concurrency`` targets at once).

Baseline: the same range queries, the same PromQL strings and chunks recorded from
the first pass, sent with plain ``requests.post`` (form bodies) and decoded with ``.json()``: the HTTP
and Prometheus time that no collector can avoid. A first pass records the queries
and warms Prometheus; then bare and collect runs alternate, ``ROUNDS`` each, best counts.

The collected counts of every demo SLO are checked against the synthetic fleet's exact
truth, so a fast but wrong pass cannot pass unnoticed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import requests

from collectors.collect import collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.synthetic import generate_fleet, sli_of
from collectors.targets import targets_for
from sloboard.settings import CollectSettings, PrometheusSettings
from sloboard.store import Store

from .fleet import SEED, STEP_S, load_slos
from .prometheus import FULL_SERVICES
from .report import Result, at_most
from .timing import fmt_s

DEMO_SPECS = Path("slo_specs")
CONCURRENCY = CollectSettings().concurrency  # the product's default: what `sloboard collect` does
BACKFILL_S = 30 * 86_400
ROUNDS = 2
RATIO_TARGET = 1.5

Call = tuple[str, int, int, int]


class RecordingSource:
    """A Source (our own seam) that passes every call on and remembers the range queries."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: list[Call] = []

    def query_range(self, promql: str, start: int, end: int, step: int):
        self.calls.append((promql, start, end, step))
        return self.inner.query_range(promql, start, end, step)


def _collect(prom, slos, path: Path, source) -> tuple[float, object]:
    with Store.open(f"sqlite:///{path.resolve()}") as store:
        store.sync_slos(slos)
        began = time.perf_counter()
        summary = collect_pass(store, source, targets_for(slos, load_queries()), until=prom.end,
                               since_s=BACKFILL_S, step=STEP_S, max_points=CollectSettings().max_points_per_query,
                               concurrency=CONCURRENCY)
        return time.perf_counter() - began, summary


def bare_requests(url: str, calls: list[Call]) -> float:
    """Seconds to send ``calls`` one after another with plain ``requests`` (form bodies, as the
    collector sends them) and decode each answer with ``.json()``: the baseline of the collection rows."""
    began = time.perf_counter()
    with requests.Session() as session:
        for promql, start, end, step in calls:
            body = session.post(f"{url}/api/v1/query_range",
                                data={"query": promql, "start": start, "end": end, "step": step}, timeout=120).json()
            if body.get("status") != "success":
                raise RuntimeError(f"Prometheus refused {promql!r}: {body.get('error')}")
    return time.perf_counter() - began


def _check_truth(prom, slos, path: Path) -> str:
    """Compare the collected counts of every demo SLO with the fleet's exact per-step truth."""
    fleet = generate_fleet(FULL_SERVICES, prom.start, prom.end, step_s=STEP_S, seed=SEED)
    lo = prom.end - BACKFILL_S
    wrong = []
    with Store.open(f"sqlite:///{path.resolve()}") as store:
        for slo in slos:
            ts, good, total = store.read_sli_samples(slo.id, lo, prom.end)
            want_good, want_total = sli_of(slo, fleet.series(slo.service))
            keep = fleet.ts > lo
            if not (np.array_equal(ts, fleet.ts[keep]) and np.allclose(good, want_good[keep], rtol=1e-9, atol=0)
                    and np.allclose(total, want_total[keep], rtol=1e-9, atol=0)):
                wrong.append(slo.id)
    if wrong:
        return f"collected counts DIFFER from the synthetic truth for {', '.join(wrong)}"
    return (f"collected counts equal the synthetic truth, step by step, for all {len(slos)} demo SLOs "
            "(within 1e-9 relative: Sloth's rate() x step is not an integer count in floating point)")


def run(ctx) -> list[Result]:
    prom = ctx.prometheus()
    slos = load_slos(DEMO_SPECS)
    source = PrometheusSource(PrometheusSettings(url=prom.url, timeout_s=120))
    recorder = RecordingSource(source)
    first_s, summary = _collect(prom, slos, ctx.scratch / "collect-0.db", recorder)
    collect_s, bare_s = float("inf"), float("inf")
    for i in range(1, ROUNDS + 1):
        bare_s = min(bare_s, bare_requests(prom.url, recorder.calls))
        seconds, summary = _collect(prom, slos, ctx.scratch / f"collect-{i}.db", source)
        collect_s = min(collect_s, seconds)
    source.close()
    ratio = collect_s / bare_s
    notes = [
        f"{len(summary.results)} targets, {summary.samples:,} samples, {len(recorder.calls)} range requests; "
        f"best of {ROUNDS} after a first pass of {first_s:.1f} s",
        _check_truth(prom, slos, ctx.scratch / f"collect-{ROUNDS}.db"),
    ]
    if summary.failed:
        notes.append("FAILED targets: " + "; ".join(f"{r.key}: {r.error}" for r in summary.failed))
    return [Result(
        f"collect 30 d backfill, demo specs ({len(slos)} SLOs)",
        figure=fmt_s(collect_s),
        baseline=f"bare query_range {fmt_s(bare_s)}",
        ratio=f"{ratio:.2f}x time",
        ratio_target=f"<= {RATIO_TARGET}x",
        ratio_met=at_most(ratio, RATIO_TARGET) and not summary.failed,
        notes=notes,
    )]
