"""``sloboard run`` memory: the peak RSS of the production process while it works.

The process runs over a copy of the standard fleet's store (the cached one stays
untouched) and the benchmark Prometheus, collecting every ``INTERVAL_S`` seconds, with
the dashboard on a free loopback port. It is measured after ``PASSES`` collection
passes and ``VISITS`` first visits of the overview page over HTTP (replayed as in
``bench.dashboard``), as ``VmHWM`` (peak resident set) from ``/proc/<pid>/status``,
then stopped by its PID.

``sloboard run`` reads the wall clock, which cannot be pinned: the fleet's data ends
on 2026-01-01, so windows ending now may hold little or none of it and the collector
finds nothing new. The figure is therefore a floor for a busy fleet; the peak RSS of
``sloboard status`` over the same store (``bench.status_speed``) is the other figure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.integration.prom import free_port
from tests.processes import stop_process
from tests.integration.sloboard_cli import KEEP_EVERY_STEP_ENV

from .dashboard import http_client, replay_initial_load
from .fleet import SIZES, BuiltFleet, FleetTooLarge, build
from .report import Result, not_run
from .timing import SLOBOARD, fmt_bytes, proc_status_bytes

INTERVAL_S = 10
PASSES = 2
VISITS = 3
TIMEOUT_S = 240
LARGE_TARGET_BYTES = 500e6  # the limit for the large fleet
_PASS_LINE = re.compile(r"collected \d+ samples, \d+ queries failed|skipping this collection|collection failed")


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sloboard run exited with {process.returncode}: {log_path.read_text()[-500:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"sloboard run not serving within {TIMEOUT_S} s: {log_path.read_text()[-500:]}")


def run(ctx) -> list[Result]:
    results = [_measure(ctx, build(SIZES["standard"], ctx.root, ctx.log))]
    if ctx.large:
        try:
            results.append(_measure(ctx, build(SIZES["large"], ctx.root, ctx.log)))
        except FleetTooLarge as exc:
            results.append(not_run("sloboard run memory, large", str(exc), f"<= {fmt_bytes(LARGE_TARGET_BYTES)}"))
    return results


def _measure(ctx, built: BuiltFleet) -> Result:
    name = f"sloboard run memory, {built.size.name} ({built.size.slos} SLOs)"
    prom = ctx.prometheus()
    workdir = ctx.scratch / f"run-memory-{built.size.name}"
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "sloboard.db"
    shutil.copyfile(built.db_path, db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "SLOBOARD_DATABASE_URL": f"sqlite:///{db.resolve()}",
        "SLOBOARD_SPECS_DIR": str(built.specs_dir.resolve()),
        "SLOBOARD_DATA_DIR": str(workdir.resolve()),
        "SLOBOARD_PROMETHEUS_URL": prom.url,
        "SLOBOARD_COLLECT__INTERVAL_S": str(INTERVAL_S),
        **KEEP_EVERY_STEP_ENV,  # the hourly prune would otherwise empty the copied fleet's steps
    }
    log_path = workdir / "run.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([SLOBOARD, "run", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + TIMEOUT_S
        _wait_ready(url, process, log_path, deadline)
        get, post = http_client(url)
        visits = [sum(replay_initial_load(get, post).values()) for _ in range(VISITS)]
        while len(_PASS_LINE.findall(log_path.read_text(errors="replace"))) < PASSES:
            if time.monotonic() > deadline or process.poll() is not None:
                return not_run(name, f"fewer than {PASSES} collection passes within "
                               f"{TIMEOUT_S} s; log: {log_path.read_text(errors='replace')[-300:]}")
            time.sleep(0.5)
        peak = proc_status_bytes("VmHWM", process.pid)
        passes = _PASS_LINE.findall(log_path.read_text(errors="replace"))
    except RuntimeError as exc:
        return not_run(name, str(exc))
    finally:
        stop_process(process)
    is_large = built.size.name == "large"
    return Result(
        name,
        figure=f"{fmt_bytes(peak)} peak RSS",
        target=f"<= {fmt_bytes(LARGE_TARGET_BYTES)}" if is_large else "-",
        met=peak <= LARGE_TARGET_BYTES if is_large else None,
        notes=[f"after {len(passes)} collection passes (every {INTERVAL_S} s; last: {passes[-1]}) and "
               f"{VISITS} overview visits over HTTP ({', '.join(f'{v:.2f}' for v in visits)} s); "
               "wall-clock windows hold little of the fleet's data (ends 2026-01-01): a floor for a busy fleet"],
    )
