"""``sloboard status --json`` over a warm store, as a whole process, and the engine alone.

Whole process: the installed ``sloboard`` entry point with the fleet's specs and store
(``SLOBOARD_SPECS_DIR``, ``SLOBOARD_DATABASE_URL``) and ``--at`` the fleet's end. One
untimed run warms the page cache; the best of ``RUNS`` counts. Its peak RSS is the
memory figure (``sloboard run`` does not exist yet; this is the closest process).

Engine vs baseline, in-process, over the same arrays (read once, untimed): ``evaluate``
for every SLO against a plain numpy computation of the same SLIs and burn rates, one
``np.cumsum`` of good and of total per SLO and a ``searchsorted`` per window. Both
must agree (the row says so), else the ratio means nothing.

A breakdown of one in-process status (spec loading, sample reads, engine, DORA and
cost) goes into the notes, so a missed target points at its cause.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from sloboard.engine import burn_windows, evaluate, window_bounds
from sloboard.specs import load_specs
from sloboard.status import cost_entries, dora_entries, lookback_start
from sloboard.store import Store

from .fleet import SIZES, BuiltFleet, FleetTooLarge, build
from .report import Result, at_most, not_run
from .timing import SLOBOARD, best_of, fmt_bytes, fmt_s, run_process

RUNS = 3
ENGINE_RUNS = 5
RATIO_TARGET = 2.0
TARGETS_S = {"standard": 1.5, "large": 8.0}


def status_env(built: BuiltFleet, data_dir) -> dict[str, str]:
    return {
        "SLOBOARD_DATABASE_URL": built.db_url,
        "SLOBOARD_SPECS_DIR": str(built.specs_dir.resolve()),
        "SLOBOARD_DATA_DIR": str(data_dir.resolve()),
    }


def cumsum_baseline(ts: np.ndarray, good: np.ndarray, total: np.ndarray, at: int,
                    spans: list[int]) -> list[tuple[float, float]]:
    """(good, total) over ``(at - span, at]`` for each span, from one cumulative sum of each array."""
    cum_good = np.concatenate(([0.0], np.cumsum(good)))
    cum_total = np.concatenate(([0.0], np.cumsum(total)))
    out = []
    for span in spans:
        lo, hi = np.searchsorted(ts, (at - span, at), side="right")
        out.append((cum_good[hi] - cum_good[lo], cum_total[hi] - cum_total[lo]))
    return out


def _spans(slo, at: int) -> list[int]:
    """The SLO window, then every burn-rate window the engine evaluates, in seconds."""
    start, _ = window_bounds(slo.window, at)
    return [at - start] + [int(w.total_seconds()) for w in burn_windows(slo)]


def _disagreements(slos, samples, at: int) -> int:
    """How many SLOs get a different SLI or burn rate from the engine than from the baseline."""
    wrong = 0
    for slo in slos:
        st = evaluate(slo, *samples[slo.id], at)
        sums = cumsum_baseline(*samples[slo.id], at, _spans(slo, at))
        expected = [g / t if t > 0 else math.nan for g, t in sums]
        got = [st.sli] + [None if r is None else 1.0 - r * (1.0 - slo.objective) for r in st.burn_rates.values()]
        for e, g in zip(expected, got):
            if (g is None) != math.isnan(e) or (g is not None and abs(g - e) > 1e-9):
                wrong += 1
                break
    return wrong


def engine_vs_cumsum(built: BuiltFleet) -> tuple[Result, list[str]]:
    at = built.end
    timings: dict[str, float] = {}
    began = time.perf_counter()
    slos = load_specs([built.specs_dir]).slos
    timings["load specs"] = time.perf_counter() - began
    with Store.open(built.db_url) as store:
        start = min(lookback_start(s, at) for s in slos)
        began = time.perf_counter()
        samples = store.read_sli_samples_many([s.id for s in slos], start, at)
        timings["read SLI samples"] = time.perf_counter() - began
        began = time.perf_counter()
        dora_entries(store, at)
        timings["DORA"] = time.perf_counter() - began
        began = time.perf_counter()
        cost_entries(store, at, timezone_name="UTC", budgets={}, team_of={s.service: s.team for s in slos},
                     warn_at=0.8, overrun_at=1.25)
        timings["cost"] = time.perf_counter() - began
    rows = sum(v[0].size for v in samples.values())
    engine_s = best_of(lambda: [evaluate(s, *samples[s.id], at) for s in slos], ENGINE_RUNS)
    base_s = best_of(lambda: [cumsum_baseline(*samples[s.id], at, _spans(s, at)) for s in slos], ENGINE_RUNS)
    timings["engine"] = engine_s
    wrong = _disagreements(slos, samples, at)
    ratio = engine_s / base_s
    name = built.size.name
    result = Result(
        f"status engine alone, {name}",
        figure=fmt_s(engine_s),
        baseline=f"numpy cumsum {fmt_s(base_s)}",
        ratio=f"{ratio:.2f}x time",
        ratio_target=f"<= {RATIO_TARGET:g}x",
        ratio_met=at_most(ratio, RATIO_TARGET) and wrong == 0,
        notes=[f"{len(slos)} SLOs, {rows:,} samples in memory; best of {ENGINE_RUNS}; "
               + ("engine and baseline agree on every SLI and burn rate" if wrong == 0 else
                  f"engine and baseline DISAGREE on {wrong} SLOs")],
    )
    breakdown = ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    return result, [f"in-process breakdown: {breakdown}"]


def whole_process(built: BuiltFleet, scratch) -> tuple[Result, int]:
    """The status row, and the peak RSS of the fastest run."""
    name = built.size.name
    target = TARGETS_S[name]
    argv = [SLOBOARD, "status", "--json", "--at", str(built.end)]
    env = status_env(built, scratch / "data")
    run_process(argv, env).check()  # warms the page cache
    runs = [run_process(argv, env).check() for _ in range(RUNS)]
    best = min(runs, key=lambda r: r.seconds)
    report = json.loads(best.stdout)
    known = sum(1 for s in report["slos"] if s["sli"] is not None)
    result = Result(
        f"sloboard status --json, {name} ({built.size.slos} SLOs, {built.size.days} d)",
        figure=fmt_s(best.seconds),
        target=f"<= {target:g} s",
        met=at_most(best.seconds, target),
        notes=[f"warm, whole process, best of {RUNS} (all: {', '.join(f'{r.seconds:.2f}' for r in runs)} s); "
               f"{len(report['slos'])} SLOs in the JSON, {known} with an SLI"],
    )
    return result, best.max_rss_bytes


def _fleet_results(built: BuiltFleet, scratch) -> tuple[list[Result], int]:
    status, rss = whole_process(built, scratch)
    engine, breakdown = engine_vs_cumsum(built)
    status.notes += breakdown
    return [status, engine], rss


def run(ctx) -> list[Result]:
    standard = build(SIZES["standard"], ctx.root, ctx.log)
    results, rss = _fleet_results(standard, ctx.scratch)
    results.append(Result(
        "sloboard run memory (proxy: status, standard)",
        figure=f"{fmt_bytes(rss)} peak RSS",
        notes=["`sloboard run` does not exist yet, so this is the peak RSS of the fastest "
               "`sloboard status --json` process over the standard fleet"],
    ))
    if ctx.large:
        try:
            large = build(SIZES["large"], ctx.root, ctx.log)
        except FleetTooLarge as exc:
            results.append(not_run("sloboard status --json, large (1000 SLOs, 400 d)", str(exc), "<= 8 s"))
        else:
            large_results, _ = _fleet_results(large, ctx.scratch)
            results += large_results
    return results
