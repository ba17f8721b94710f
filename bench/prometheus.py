"""The benchmark Prometheus: a real server holding a synthetic fleet, backfilled with promtool.

Data, 31 days of 1-minute samples ending at ``fleet.END_EPOCH``, from one fleet of
``SERVICES`` services (``collectors.synthetic``, same seed as the stores):

- the three demo services (checkout, payments, search) with every family a real
  exporter would have (``tests/openmetrics_backfill.py``): what the demo specs query;
- the other services with ``http_requests_total{code,service}`` only: all that an
  availability SLO reads. Writing every family for 100 services would be 30 times
  the samples and make promtool take many minutes for data no benchmark reads.

Time is pinned: data ends at a fixed instant, and every query names it (``--until``,
``--at``, PromQL ``@``), so the cached TSDB stays valid and runs are comparable.
The TSDB is built once under ``.bench/prometheus/`` (about 40 MB) and copied for each
run; the server runs on a free loopback port and is stopped by PID
(``tests/integration/prom.py``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from collectors.synthetic import CODES, DAY_S, Fleet, ServiceProfile, generate_fleet
from tests.integration.prom import MAX_BLOCK_DURATION, PrometheusServer, find_binaries
from tests.openmetrics_backfill import write_openmetrics

from .cache import exclusive
from .fleet import END_EPOCH, SEED, STEP_S

DAYS = 31
SERVICES = 100
FULL_SERVICES = 3  # the demo services, first in every generated fleet
BUILD_VERSION = 1
_LINES_PER_WRITE = 100_000


class PrometheusUnavailable(Exception):
    """prometheus or promtool is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class BenchPrometheus:
    server: PrometheusServer
    start: int
    end: int
    profiles: tuple[ServiceProfile, ...]  # every service; the first FULL_SERVICES have every family

    @property
    def url(self) -> str:
        return self.server.url


def _key() -> str:
    text = json.dumps([DAYS, SERVICES, FULL_SERVICES, END_EPOCH, SEED, STEP_S, BUILD_VERSION])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def start_bench_prometheus(root: Path, scratch: Path, log: Callable[[str], None]) -> BenchPrometheus:
    """Build the TSDB once (cached), copy it into ``scratch`` and start Prometheus on the copy:
    a server writes into its data folder and locks it, so concurrent runs each need their own."""
    start = END_EPOCH - DAYS * DAY_S
    fleet = generate_fleet(SERVICES, start, END_EPOCH, step_s=STEP_S, seed=SEED)
    server = start_cached(root / "prometheus" / f"fleet-{_key()}", scratch / "prometheus",
                          lambda folder, promtool: _build(folder, fleet, promtool, log))
    return BenchPrometheus(server, start, END_EPOCH, fleet.profiles)


def start_cached(folder: Path, scratch: Path, build: Callable[[Path, str], None]) -> PrometheusServer:
    """A Prometheus on a copy of the TSDB cached in ``folder``; ``build(folder, promtool)``
    makes it first if no finished build (``manifest.json``) is there, one builder at a time."""
    binaries = find_binaries()
    if binaries is None:
        raise PrometheusUnavailable("prometheus and promtool are not on PATH; run `make system-deps`")
    with exclusive(folder):
        if not (folder / "manifest.json").exists():
            build(folder, binaries.promtool)
    data = scratch / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(folder / "data", data)
    server = PrometheusServer(binaries.prometheus, data)
    try:
        server.start(ready_timeout_s=180)
    except RuntimeError as exc:
        raise PrometheusUnavailable(str(exc)) from exc
    return server


def backfill(promtool: str, openmetrics: Path, data: Path) -> None:
    """``promtool tsdb create-blocks-from openmetrics`` of one file into ``data``.

    Several files into one folder give overlapping blocks, which Prometheus >= 2.39 merges."""
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", f"--max-block-duration={MAX_BLOCK_DURATION}",
         str(openmetrics), str(data)],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise PrometheusUnavailable(f"promtool failed on {openmetrics.name}: {(done.stderr or done.stdout)[-500:]}")


def _build(folder: Path, fleet: Fleet, promtool: str, log: Callable[[str], None]) -> None:
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    began = time.perf_counter()
    log(f"backfilling the benchmark Prometheus ({SERVICES} services, {DAYS} days) into {folder}")
    demo = generate_fleet(FULL_SERVICES, fleet.start, fleet.end, step_s=fleet.step_s, seed=SEED)
    files = [staging / "demo.om", staging / "requests.om"]
    write_openmetrics(demo, files[0])
    _write_request_counters(fleet, fleet.profiles[FULL_SERVICES:], files[1])
    for path in files:
        backfill(promtool, path, staging / "data")
        log(f"  {path.name}: {path.stat().st_size / 1e6:.0f} MB backfilled, {time.perf_counter() - began:.0f} s")
        path.unlink()
    (staging / "manifest.json").write_text(json.dumps(
        {"services": SERVICES, "days": DAYS, "start": fleet.start, "end": fleet.end,
         "build_seconds": round(time.perf_counter() - began, 1)}, indent=2))
    staging.rename(folder)


def _write_request_counters(fleet: Fleet, profiles: tuple[ServiceProfile, ...], path: Path) -> None:
    """``http_requests_total{code,service}`` as OpenMetrics: 0 at ``start``, then cumulative counts."""
    times = np.concatenate([[fleet.start], fleet.ts]).tolist()
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for profile in profiles:
            for code in CODES:
                values = np.concatenate([[0], np.cumsum(fleet.requests(profile.name, code))]).tolist()
                prefix = f'http_requests_total{{code="{code}",service="{profile.name}"}} '
                for lo in range(0, len(times), _LINES_PER_WRITE):
                    hi = lo + _LINES_PER_WRITE
                    out.write("".join([f"{prefix}{v} {t}\n" for v, t in zip(values[lo:hi], times[lo:hi])]))
        out.write("# EOF\n")
