"""Peer comparison: Google's slo-generator and sloboard on the same SLOs and the same Prometheus.

slo-generator (``slo-generator[prometheus]``, with ``setuptools<81`` for its use of
``pkg_resources``) is installed from PyPI into its own venv, ``.bench/peer-venv``.
If it cannot be installed or run, the rows say why and the suite goes on.

The SLOs: availability (non-5xx over all requests, 99.9 %) of the first 3 and the first
100 services of the benchmark Prometheus (``bench.prometheus``). slo-generator gets
``good_bad_ratio`` on the ``prometheus`` backend with an error-budget policy over 1h,
12h, 7d and 28d; sloboard gets the same queries as OpenSLO specs, whose alert windows
(``sloboard.dev/alert-windows``) make ``status`` report burn rates over 1h, 12h and 7d
beside the 28-day SLI, so SLI(w) = 1 - burn_rate(w) × (1 - objective).

Time is pinned for both. slo-generator's Prometheus backend sends instant queries
without a time, so Prometheus evaluates them at wall-clock now; its filters therefore
carry PromQL's ``@ <end>`` modifier, which fixes the evaluation time of the selector:
``sum(increase(http_requests_total{...}[3600s] @ END))``. sloboard runs with
``--until END`` and ``--at END``. With samples on both window edges, ``increase`` is
the exact count, so both tools must agree to 6 decimals (slo-generator rounds its SLI to 6).

Timings, each a whole process as a user runs it:

- slo-generator: one ``slo-generator compute -f <folder> -c <config>`` pass;
- sloboard status: ``sloboard status --json --at END`` over a warm store (the store
  was backfilled before, untimed, from the same Prometheus), best of ``STATUS_RUNS``;
- sloboard incremental: ``sloboard collect --until END`` resuming 10 minutes behind
  (what each minute's run does), then one ``status``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from sloboard.domain import parse_duration
from tests.integration.sloboard_cli import KEEP_EVERY_STEP_ENV

from .cache import exclusive
from .fleet import END_EPOCH, schema_fingerprint
from .report import Result, at_least, not_run
from .specs import AVAILABILITY_OBJECTIVE, availability_queries, write_specs
from .timing import SLOBOARD, best_process, fmt_s, run_process

SLO_COUNTS = (3, 100)
# slo-generator's error-budget policy steps: (name, window seconds).
STEPS = (("1 hour", 3_600), ("12 hours", 43_200), ("7 days", 604_800), ("28 days", 2_419_200))
# Alert windows whose long/short windows include 1h, 12h and 7d, so status reports those burn rates.
ALERT_WINDOWS = "page 14.4x 1h/5m, ticket 3x 12h/1h, ticket 1x 7d/12h"
BACKFILL = "29d"
INCREMENT_S = 600
STATUS_RUNS = 3
STATUS_RATIO_TARGET = 5.0
AGREE_WITHIN = 5e-7  # "agree to 6 decimals"
PEER_REQUIREMENTS = ("slo-generator[prometheus]", "setuptools<81")
_COLLECT_LINE = re.compile(r"^(?P<kind>[a-z]+):.*: \d+ samples in (?P<seconds>[0-9.]+)s$")
_REPORT_LINE = re.compile(r"^\S+ - (?P<name>\S+)\s+\| (?P<step>.+?)\s+\| SLI: (?P<sli>[0-9.]+)\s*%")


class PeerUnavailable(Exception):
    """slo-generator could not be installed or run; the message says why."""


def ensure_peer(root: Path, log) -> tuple[Path, str]:
    """The slo-generator executable in ``root/peer-venv`` (installed on first use) and its version."""
    venv = root / "peer-venv"
    exe = venv / "bin" / "slo-generator"
    if not exe.exists():
        log(f"installing {' '.join(PEER_REQUIREMENTS)} into {venv}")
        steps = ([sys.executable, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS])
        for argv in steps:
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                raise PeerUnavailable(f"{' '.join(argv[:4])} failed: {(done.stderr or done.stdout).strip()[-400:]}")
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    if done.returncode != 0:
        raise PeerUnavailable(f"slo-generator --version failed: {(done.stderr or done.stdout).strip()[-400:]}")
    return exe, done.stdout.strip()


def peer_name(service: str) -> str:
    return f"{service}-availability"


def write_peer_configs(folder: Path, services: list[str], prometheus_url: str) -> tuple[Path, Path]:
    """slo-generator's shared config and one SLO config per service; returns (config, SLO folder)."""
    slo_dir = folder / "slos"
    slo_dir.mkdir(parents=True, exist_ok=True)
    steps = [{"name": name, "window": window, "burn_rate_threshold": 1.0 if window > 86_400 else 10.0,
              "alert": False, "message_alert": "budget burning", "message_ok": "within budget"}
             for name, window in STEPS]
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "backends": {"prometheus": {"url": prometheus_url}},
        "exporters": {},
        "error_budget_policies": {"default": {"steps": steps}},
    }, sort_keys=False))
    for service in services:
        good, total = availability_queries(service)
        doc = {
            "apiVersion": "sre.google.com/v2",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": peer_name(service),
                         "labels": {"service_name": service, "feature_name": "requests", "slo_name": "availability"}},
            "spec": {
                "description": f"{AVAILABILITY_OBJECTIVE:.1%} of {service} requests are not 5xx",
                "backend": "prometheus",
                "method": "good_bad_ratio",
                "exporters": [],
                "service_level_indicator": {
                    # The selectors inside sum(...) of the sloboard spec, with slo-generator's
                    # [window] placeholder and the pinned evaluation time.
                    "filter_good": _selector(good) + f"[window] @ {END_EPOCH}",
                    "filter_valid": _selector(total) + f"[window] @ {END_EPOCH}",
                },
                "goal": AVAILABILITY_OBJECTIVE,
            },
        }
        (slo_dir / f"{peer_name(service)}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return config, slo_dir


def _selector(query: str) -> str:
    """``sum(<selector>)`` -> ``<selector>``: slo-generator wraps it in increase() and sum() itself."""
    if not (query.startswith("sum(") and query.endswith(")")):
        raise ValueError(f"expected sum(<selector>), got {query!r}")
    return query[4:-1]


def parse_peer_output(stdout: str) -> dict[tuple[str, int], float]:
    """``{(slo name, window s): SLI}`` from slo-generator's report lines (SLI printed in percent)."""
    windows = dict(STEPS)
    out = {}
    for line in stdout.splitlines():
        m = _REPORT_LINE.match(line.strip())
        if m and m["step"].strip() in windows:
            out[(m["name"], windows[m["step"].strip()])] = float(m["sli"]) / 100.0
    return out


def sloboard_slis(report: dict) -> dict[tuple[str, int], float | None]:
    """``{(slo name as the peer spells it, window s): SLI}`` from ``status --json``."""
    out: dict[tuple[str, int], float | None] = {}
    for slo in report["slos"]:
        name = peer_name(slo["service"])
        out[(name, int(parse_duration(slo["window"]).total_seconds()))] = slo["sli"]
        for label, rate in slo["burn_rates"].items():
            seconds = int(parse_duration(label).total_seconds())
            out[(name, seconds)] = None if rate is None else 1.0 - rate * (1.0 - slo["objective"])
    return out


@dataclass(frozen=True)
class Comparison:
    rows: list[tuple[str, int, float | None, float | None]]  # name, window, sloboard, peer

    @staticmethod
    def agrees(ours: float | None, theirs: float | None) -> bool:
        return ours is not None and theirs is not None and abs(ours - theirs) < AGREE_WITHIN

    @property
    def agreeing(self) -> int:
        return sum(self.agrees(o, t) for _, _, o, t in self.rows)

    def lines(self, limit: int | None = None) -> list[str]:
        """Side by side, the worst disagreement first when limited."""
        rows = self.rows
        if limit is not None:
            rows = sorted(rows, key=lambda r: -_gap(r[2], r[3]))[:limit]
        head = f"{'SLO':<28} {'window':>7} {'sloboard':>12} {'slo-generator':>14}  agree"
        body = [f"{n:<28} {_window(w):>7} {_fmt(o):>12} {_fmt(t):>14}  {'yes' if self.agrees(o, t) else 'NO'}"
                for n, w, o, t in rows]
        return [head, *body]


def _gap(a: float | None, b: float | None) -> float:
    return math.inf if a is None or b is None else abs(a - b)


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:.6f}"


def _window(seconds: int) -> str:
    return f"{seconds // 86_400}d" if seconds % 86_400 == 0 else f"{seconds // 3_600}h"


def compare(ours: dict, theirs: dict, names: list[str]) -> Comparison:
    rows = [(n, w, ours.get((n, w)), theirs.get((n, w))) for n in names for _, w in STEPS]
    return Comparison(rows)


def collect_breakdown(stderr: str) -> str:
    """Seconds per kind of target from ``sloboard collect``'s per-target lines (``key: N samples in Xs``)."""
    per_kind: dict[str, list[float]] = {}
    for line in stderr.splitlines():
        m = _COLLECT_LINE.match(line.strip())
        if m:
            per_kind.setdefault(m["kind"], []).append(float(m["seconds"]))
    return ", ".join(f"{kind} {sum(v):.1f} s over {len(v)}" for kind, v in per_kind.items()) or "not reported"


def _backfilled_store(folder: Path, env: dict[str, str], prom_end: int, log) -> Path:
    """The sloboard store backfilled up to ``INCREMENT_S`` before the end (cached, untimed)."""
    done_db = folder / "backfilled.db"
    with exclusive(folder):
        if not done_db.exists():
            _backfill(folder, done_db, env, prom_end, log)
    return done_db


def _backfill(folder: Path, done_db: Path, env: dict[str, str], prom_end: int, log) -> None:
    partial = folder / "backfill.partial.db"
    for stale in folder.glob("backfill.partial.db*"):
        stale.unlink()
    log(f"  backfilling sloboard's store for the peer comparison ({BACKFILL}) into {done_db}")
    run_process([SLOBOARD, "collect", "--since", BACKFILL, "--until", str(prom_end - INCREMENT_S)],
                {**env, "SLOBOARD_DATABASE_URL": f"sqlite:///{partial.resolve()}"}).check()
    partial.rename(done_db)


def compare_at(count: int, ctx, prom, exe: Path) -> tuple[list[Result], list[str]]:
    services = [p.name for p in prom.profiles[:count]]
    key = hashlib.sha256(
        f"{count}|{ALERT_WINDOWS}|{BACKFILL}|{prom.end}|{prom.start}|{schema_fingerprint()}|{KEEP_EVERY_STEP_ENV}".encode()
    ).hexdigest()[:10]
    cache = ctx.root / "peer" / f"n{count}-{key}"
    write_specs(cache / "specs", prom.profiles[:count], latency=False, alert_windows=ALERT_WINDOWS)
    run_dir = ctx.scratch / f"peer-{count}"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SLOBOARD_SPECS_DIR": str((cache / "specs").resolve()),
        "SLOBOARD_PROMETHEUS_URL": prom.url,
        "SLOBOARD_DATA_DIR": str(run_dir.resolve()),
        **KEEP_EVERY_STEP_ENV,  # the data lies in the past; retention counts from the wall clock
    }
    backfilled = _backfilled_store(cache, env, prom.end, ctx.log)
    db = run_dir / "sloboard.db"
    shutil.copyfile(backfilled, db)
    env["SLOBOARD_DATABASE_URL"] = f"sqlite:///{db.resolve()}"

    config, slo_dir = write_peer_configs(run_dir / "slo-generator", services, prom.url)
    peer = run_process([str(exe), "compute", "-f", str(slo_dir), "-c", str(config), "-t", str(prom.end)],
                       {"COLORED_OUTPUT": "0"}).check()
    collect = run_process([SLOBOARD, "collect", "--until", str(prom.end)], env).check()
    status_argv = [SLOBOARD, "status", "--json", "--at", str(prom.end)]
    first_status = run_process(status_argv, env).check()
    warm = best_process(status_argv, STATUS_RUNS, env)

    comparison = compare(sloboard_slis(json.loads(warm.stdout)), parse_peer_output(peer.stdout),
                         [peer_name(s) for s in services])
    incremental = collect.seconds + first_status.seconds
    speedup = peer.seconds / warm.seconds
    n_pairs = len(comparison.rows)
    at_target = count == max(SLO_COUNTS)
    rows = [
        Result(
            f"peer SLIs agree, {count} SLOs x 4 windows",
            figure=f"{comparison.agreeing}/{n_pairs} agree",
            target="all, to 6 decimals",
            met=comparison.agreeing == n_pairs,
        ),
        Result(
            f"peer: sloboard status (warm), {count} SLOs",
            figure=fmt_s(warm.seconds),
            baseline=f"slo-generator {fmt_s(peer.seconds)}",
            ratio=f"{speedup:.2f}x speed-up",
            ratio_target=f">= {STATUS_RATIO_TARGET:g}x speed-up" if at_target else "- (target at 100)",
            ratio_met=at_least(speedup, STATUS_RATIO_TARGET) if at_target else None,
            notes=[f"best of {STATUS_RUNS} whole processes; slo-generator: one `compute` pass, "
                   f"{count * len(STEPS) * 2} instant queries"],
        ),
        Result(
            f"peer: sloboard collect + status, {count} SLOs",
            figure=f"{fmt_s(incremental)}",
            baseline=f"slo-generator {fmt_s(peer.seconds)}",
            ratio=f"{incremental / peer.seconds:.2f}x time",
            ratio_target="< 1x (faster)",
            ratio_met=incremental < peer.seconds,
            notes=[f"incremental collect of the last {INCREMENT_S // 60} minutes {fmt_s(collect.seconds)} "
                   f"(time inside its targets: {collect_breakdown(collect.stderr)}) "
                   f"+ status {fmt_s(first_status.seconds)}"],
        ),
    ]
    if count <= 3:
        details = comparison.lines()
    else:
        full = ctx.root / "peer" / f"sli-comparison-{count}.txt"
        full.write_text("\n".join(comparison.lines()) + "\n")
        details = [f"(all {n_pairs} rows in {full}; the 5 largest differences:)", *comparison.lines(limit=5)]
    return rows, [f"SLIs at {count} SLOs, pinned at {prom.end} (@ modifier / --at):", *details]


def run(ctx) -> list[Result]:
    try:
        exe, version = ensure_peer(ctx.root, ctx.log)
    except PeerUnavailable as exc:
        return [not_run("peer: slo-generator", str(exc))]
    prom = ctx.prometheus()
    results: list[Result] = []
    for count in SLO_COUNTS:
        try:
            rows, details = compare_at(count, ctx, prom, exe)
        except RuntimeError as exc:
            results.append(not_run(f"peer comparison, {count} SLOs", f"a run failed: {exc}"))
            continue
        rows[0].notes.append(f"{version}; sloboard and slo-generator read the same Prometheus")
        rows[0].details = details
        results += rows
    return results
