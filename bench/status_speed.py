"""``sloboard status --json`` over a warm store, as a whole process, and the engine alone.

Whole process: the installed ``sloboard`` entry point with the fleet's specs and store
(``SLOBOARD_SPECS_DIR``, ``SLOBOARD_DATABASE_URL``) and ``--at`` the fleet's end. One
untimed run warms the page cache; the best of ``RUNS`` counts, with its peak RSS.

Engine vs baseline, in-process, over the same arrays: the rows ``status`` reads
(``reads.status.read_slo_rows``: per-piece sums of hourly rollups and raw edge steps), read once,
untimed. ``evaluate`` for every SLO against a plain numpy computation of the same SLIs
and burn rates: one ``np.cumsum`` of good and of total per SLO and a ``searchsorted``
per window. The engine's answers are checked against the baseline run over the raw
per-step samples, so the ratio is only reported as met when the numbers are right.
A second row times both over the raw 1-minute steps of the same windows (no rollups),
where the arrays are large enough that per-call overhead no longer dominates.

A breakdown of one in-process status (spec loading, sample reads, engine, DORA and
cost) goes into the notes, so a missed target points at its cause.
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np

from sloboard.dora_bands import load_dora_bands
from sloboard.engine import burn_windows, evaluate, window_bounds
from sloboard.engine.cost import CostBudgets
from sloboard.specs import load_specs
from sloboard.reads.cost import cost_entries
from sloboard.reads.dora import dora_entries
from sloboard.reads.status import lookback_start, read_slo_rows
from sloboard.store import Store

from .fleet import SIZES, STEP_S, BuiltFleet, FleetTooLarge, build
from .report import Result, at_most, not_run
from .timing import SLOBOARD, best_of, best_process, fmt_bytes, fmt_s, run_process

RUNS = 3
ENGINE_RUNS = 5
RATIO_TARGET = 2.0
TARGETS_S = {"standard": 1.5, "large": 8.0}
STATUS_IMPORTS = ("sloboard.cli", "sloboard.settings", "sloboard.specs", "sloboard.reads.status", "sloboard.store")


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


def _disagreements(slos, rows, raw, at: int) -> int:
    """SLOs whose SLI or burn rates from the engine (over the status's rows) differ from the
    baseline's over the raw per-step samples: an independent check of reads and engine."""
    wrong = 0
    for slo in slos:
        ts, good, total, step_counts = rows[slo.id]
        st = evaluate(slo, ts, good, total, at, step_s=STEP_S, step_counts=step_counts)
        sums = cumsum_baseline(*raw[slo.id], at, _spans(slo, at))
        expected = [g / t if t > 0 else math.nan for g, t in sums]
        got = [st.sli] + [None if r is None else 1.0 - r * (1.0 - slo.objective) for r in st.burn_rates.values()]
        for e, g in zip(expected, got):
            if (g is None) != math.isnan(e) or (g is not None and abs(g - e) > 1e-9):
                wrong += 1
                break
    return wrong


def _timed(timings: dict[str, float], label: str, call):
    began = time.perf_counter()
    value = call()
    timings[label] = time.perf_counter() - began
    return value


def engine_vs_cumsum(built: BuiltFleet) -> tuple[list[Result], list[str]]:
    at = built.end
    timings: dict[str, float] = {}
    slos = _timed(timings, "load specs", lambda: load_specs([built.specs_dir]).slos)
    with Store.open(built.db_url) as store:
        rows = _timed(timings, "read SLI rows", lambda: read_slo_rows(store, slos, at, STEP_S))
        _timed(timings, "DORA", lambda: dora_entries(store, at, bands=load_dora_bands()))
        _timed(timings, "cost", lambda: cost_entries(store, at, timezone_name="UTC", budgets=CostBudgets(),
                                                      team_of={s.service: s.team for s in slos}))
        start = min(lookback_start(s, at) for s in slos)
        raw = store.read_sli_samples_many([s.id for s in slos], start, at)

    raw_rows = {slo_id: (*arrays, None) for slo_id, arrays in raw.items()}
    wrong = _disagreements(slos, rows, raw, at)
    check = ("the engine's SLIs and burn rates equal the baseline's over the raw steps (1e-9)" if wrong == 0
             else f"the engine DISAGREES with the baseline over the raw steps for {wrong} SLOs")
    n_rows = sum(r[0].size for r in rows.values())
    n_raw = sum(r[0].size for r in raw.values())
    results = [
        _engine_row(f"status engine alone, {built.size.name}", slos, rows, at, wrong,
                    f"{len(slos)} SLOs over the {n_rows:,} rows status reads (per-piece sums of hourly rollups "
                    f"and raw edge steps); best of {ENGINE_RUNS}; {check}"),
        _engine_row(f"engine alone over raw 1-min steps, {built.size.name}", slos, raw_rows, at, wrong,
                    f"the same SLOs over all {n_raw:,} raw steps of their windows (no rollups)"),
    ]
    timings["engine"] = _engine_s(slos, rows, at)
    breakdown = ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    return results, [f"in-process breakdown: {breakdown}"]


def _engine_s(slos, rows, at: int) -> float:
    def engine():
        for s in slos:
            ts, good, total, step_counts = rows[s.id]
            evaluate(s, ts, good, total, at, step_s=STEP_S, step_counts=step_counts)

    return best_of(engine, ENGINE_RUNS)


def _engine_row(name: str, slos, rows, at: int, wrong: int, note: str) -> Result:
    """``evaluate`` for every SLO against the cumsum baseline over the same rows."""
    engine_s = _engine_s(slos, rows, at)
    base_s = best_of(lambda: [cumsum_baseline(*rows[s.id][:3], at, _spans(s, at)) for s in slos], ENGINE_RUNS)
    ratio = engine_s / base_s
    return Result(
        name,
        figure=fmt_s(engine_s),
        baseline=f"numpy cumsum {fmt_s(base_s)}",
        ratio=f"{ratio:.2f}x time",
        ratio_target=f"<= {RATIO_TARGET:g}x",
        ratio_met=at_most(ratio, RATIO_TARGET) and wrong == 0,
        notes=[note],
    )


def whole_process(built: BuiltFleet, scratch) -> tuple[Result, int]:
    """The status row, and the peak RSS of the fastest run."""
    name = built.size.name
    target = TARGETS_S[name]
    argv = [SLOBOARD, "status", "--json", "--at", str(built.end)]
    env = status_env(built, scratch / "data")
    run_process(argv, env).check()  # warms the page cache
    runs = [run_process(argv, env).check() for _ in range(RUNS)]
    best = min(runs, key=lambda r: r.seconds)
    imports = best_process([sys.executable, "-c", f"import {', '.join(STATUS_IMPORTS)}"], RUNS)
    report = json.loads(best.stdout)
    known = sum(1 for s in report["slos"] if s["sli"] is not None)
    result = Result(
        f"sloboard status --json, {name} ({built.size.slos} SLOs, {built.size.days} d)",
        figure=fmt_s(best.seconds),
        target=f"<= {target:g} s",
        met=at_most(best.seconds, target),
        notes=[f"warm, whole process, best of {RUNS} (all: {', '.join(f'{r.seconds:.2f}' for r in runs)} s); "
               f"{len(report['slos'])} SLOs in the JSON, {known} with an SLI; a process that only imports "
               f"what status uses ({', '.join(STATUS_IMPORTS)}) takes {fmt_s(imports.seconds)}"],
    )
    return result, best.max_rss_bytes


def _fleet_results(built: BuiltFleet, scratch) -> tuple[list[Result], int]:
    status, rss = whole_process(built, scratch)
    engine, breakdown = engine_vs_cumsum(built)
    status.notes += breakdown
    return [status, *engine], rss


def run(ctx) -> list[Result]:
    standard = build(SIZES["standard"], ctx.root, ctx.log)
    results, rss = _fleet_results(standard, ctx.scratch)
    results.append(Result(
        "sloboard status memory, standard",
        figure=f"{fmt_bytes(rss)} peak RSS",
        notes=["the fastest `sloboard status --json` process above; `sloboard run` is measured apart (memory)"],
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
