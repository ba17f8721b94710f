"""A real Prometheus for tests: write OpenMetrics from Python data, backfill it with
``promtool``, and run ``prometheus`` on a free loopback port.

Data written on a 60 s grid and queried at step-aligned times gives exact answers:
``increase(x[60s])`` is then the last sample minus the first in each window (Prometheus
2.x range selectors include both ends), so tests can compare with totals they computed.
"""

from __future__ import annotations

import ctypes
import math
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.processes import stop_process

STEP_S = 60
# Longer than any test data's age: retention would otherwise delete backfilled blocks.
RETENTION = "36500d"
# One block per week: promtool re-reads the whole file once per block, so 2 h blocks are slow.
MAX_BLOCK_DURATION = "168h"


@dataclass(frozen=True)
class MetricSeries:
    """One series to backfill: ``name{labels}`` with ``values`` at ``ts`` (epoch seconds)."""

    name: str
    labels: Mapping[str, str]
    ts: Sequence[int]
    values: Sequence[float]


def counter_series(
    name: str,
    labels: Mapping[str, str],
    start: int,
    increments: Sequence[int | float],
    resets: Iterable[int] = (),
    step: int = STEP_S,
) -> MetricSeries:
    """A counter on the grid ``start + k * step`` that grows by ``increments[k]`` at sample k.

    At each index in ``resets`` the process "restarts": the counter drops to
    ``increments[k]`` instead of adding it, so the true count in that step is still
    ``increments[k]``, which is what ``increase()`` reports across a reset. The first
    sample is ``increments[0]``; the count over ``(ts[a], ts[b]]`` is ``sum(increments[a+1:b+1])``.
    """
    inc = np.asarray(increments, dtype=np.float64)
    values = np.empty_like(inc)
    boundaries = sorted({0, *resets, len(inc)})
    for lo, hi in zip(boundaries, boundaries[1:]):
        values[lo:hi] = np.cumsum(inc[lo:hi])
    ts = start + step * np.arange(len(inc), dtype=np.int64)
    return MetricSeries(name, dict(labels), ts.tolist(), values.tolist())


def to_openmetrics(series: Iterable[MetricSeries]) -> str:
    """OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``.

    No ``# TYPE`` lines: the TSDB keeps no metric types, and untyped families let a
    counter keep its ``_total`` name as written. Timestamps are seconds (to the ms, as
    Prometheus keeps them); ``# EOF`` ends it.
    """
    lines: list[str] = []
    for s in series:
        if len(s.ts) != len(s.values):
            raise ValueError(f"{s.name}: {len(s.ts)} timestamps but {len(s.values)} values")
        if any(b <= a for a, b in zip(s.ts, s.ts[1:])):
            raise ValueError(f"{s.name}: timestamps must increase strictly")
        head = s.name + _format_labels(s.labels)
        lines.extend(f"{head} {_format_value(v)} {_format_ts(t)}" for t, v in zip(s.ts, s.values))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _format_labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        (k, str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")) for k, v in labels.items()
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped) + "}"


def _format_ts(t: float) -> str:
    """Seconds; a scrape's milliseconds kept (Prometheus stores ms), whole seconds as integers."""
    return str(int(t)) if float(t).is_integer() else f"{float(t):.3f}"


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def backfill(promtool: str, openmetrics: str, data_dir: Path) -> None:
    """Write ``openmetrics`` as TSDB blocks into ``data_dir`` (before Prometheus starts)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".om", dir=data_dir.parent, delete=False) as handle:
        handle.write(openmetrics)
        source = Path(handle.name)
    try:
        done = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics",
             f"--max-block-duration={MAX_BLOCK_DURATION}", str(source), str(data_dir)],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        source.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"promtool backfill failed ({done.returncode}): {done.stderr or done.stdout}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to Prometheus if the test process dies without
    # running its teardown (SIGKILL, crash), so no server outlives the test run.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class PrometheusServer:
    """One ``prometheus`` process over ``data_dir`` on ``127.0.0.1:port``; start/stop/restart by PID."""

    binary: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # The config file's text; the default scrapes nothing (backfilled data only).
    config: str = "global:\n  scrape_interval: 1m\nscrape_configs: []\n"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def start(self, ready_timeout_s: float = 30.0) -> None:
        if self.running:
            return
        config = self.data_dir.parent / f"{self.data_dir.name}.yml"
        config.write_text(self.config)
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [self.binary,
                 f"--config.file={config}",
                 f"--storage.tsdb.path={self.data_dir}",
                 f"--storage.tsdb.retention.time={RETENTION}",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        self._wait_ready(ready_timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"prometheus exited at start-up:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"prometheus not ready within {timeout_s} s:\n{self._log_tail()}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the process by its PID: SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process is None:
            return
        stop_process(self.process, timeout_s)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass(frozen=True)
class PrometheusBinaries:
    prometheus: str
    promtool: str


def find_binaries() -> PrometheusBinaries | None:
    """The ``prometheus`` and ``promtool`` executables on PATH, or None if either is missing."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        return None
    return PrometheusBinaries(prometheus, promtool)


def launch(
    binaries: PrometheusBinaries, data: str | Iterable[MetricSeries], workdir: Path
) -> PrometheusServer:
    """Backfill ``data`` (OpenMetrics text or series) into ``workdir/data`` and start Prometheus on it."""
    text = data if isinstance(data, str) else to_openmetrics(data)
    data_dir = workdir / "data"
    backfill(binaries.promtool, text, data_dir)
    server = PrometheusServer(binaries.prometheus, data_dir)
    server.start()
    return server


