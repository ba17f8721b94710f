"""``sloboard serve --workers N`` as a user starts it, over a seeded PostgreSQL, and the
requests a browser would make of it: the overview's and an SLO page's Dash callbacks, the
API and ``/metrics``, each on a fresh connection so that any worker may answer.

Which worker answered shows on ``/metrics`` (``sloboard_process_info{pid=...}``), with its
own counts of requests, callbacks and computations.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .prom import free_port

CALLBACK = "/_dash-update-component"


@dataclass
class Cluster:
    """A running ``sloboard serve --workers N``; ``stop`` ends its master and workers."""

    url: str
    process: subprocess.Popen
    log_path: Path
    workers: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the CLI stops gunicorn gracefully on SIGTERM
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever of its session is left
        except ProcessLookupError:
            pass

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # --- requests -------------------------------------------------------------------------

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=60, headers={"Connection": "close", **kwargs.pop("headers", {})},
                            **kwargs)

    def callback(self, output_id: str, page: str, state: list) -> requests.Response:
        """The Dash callback that renders ``output_id`` of ``page`` in the default view."""
        body = {
            "output": f"{output_id}.children",
            "outputs": {"id": output_id, "property": "children"},
            "inputs": [[], [], [], {"id": "browser", "property": "data", "value": {"tz": "UTC", "width": 1280}},
                       {"id": {"type": "tick", "page": page}, "property": "n_intervals", "value": 0}],
            "state": state,
            "changedPropIds": [],
        }
        return requests.post(self.url + CALLBACK, json=body, timeout=60,
                             headers={"Origin": self.url, "Connection": "close"})

    def overview(self) -> requests.Response:
        return self.callback("overview-body", "overview", [[]])

    def slo_page(self, slo_id: str) -> requests.Response:
        return self.callback("slo-body", "slo", [[], {"id": "slo-id", "property": "data", "value": slo_id}])

    # --- the workers ----------------------------------------------------------------------

    def worker_metrics(self, *, tries: int = 300) -> dict[int, "WorkerMetrics"]:
        """The ``/metrics`` of every worker (newest scrape of each), scraped until all answered."""
        seen: dict[int, WorkerMetrics] = {}
        with ThreadPoolExecutor(self.workers * 3) as pool:
            for _round in range(tries // (self.workers * 3)):
                for answer in pool.map(lambda _: self.get("/metrics"), range(self.workers * 3)):
                    assert answer.status_code == 200, answer.text
                    metrics = WorkerMetrics.parse(answer.text)
                    seen[metrics.pid] = metrics
                if len(seen) >= self.workers:
                    return seen
        raise AssertionError(f"only workers {sorted(seen)} answered /metrics in {tries} scrapes")


@dataclass
class WorkerMetrics:
    pid: int
    text: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> "WorkerMetrics":
        return cls(int(re.search(r'^sloboard_process_info\{pid="(\d+)"\} 1$', text, re.M).group(1)), text)

    def computations(self, result: str) -> int:
        found = re.search(rf'^sloboard_computations_total\{{result="{re.escape(result)}"\}} (\d+)$', self.text, re.M)
        return int(found.group(1)) if found else 0

    def callbacks(self, output: str) -> int:
        pattern = rf'^sloboard_dash_callback_duration_seconds_count\{{output="{re.escape(output)}"\}} (\d+)$'
        return sum(int(n) for n in re.findall(pattern, self.text, re.M))

    def requests(self, route: str) -> int:
        pattern = rf'^sloboard_http_request_duration_seconds_count\{{route="{re.escape(route)}",[^}}]*\}} (\d+)$'
        return sum(int(n) for n in re.findall(pattern, self.text, re.M))


def serve_command(workers: int, port: int) -> list[str]:
    return [sys.executable, "-c", "from sloboard.cli import main; main()", "serve", "--workers", str(workers),
            "--port", str(port)]


def gunicorn_command(workers: int, port: int) -> list[str]:
    """The documented entry for those who run gunicorn themselves."""
    return [sys.executable, "-m", "gunicorn", "dashboard.wsgi:app", "--workers", str(workers),
            "--bind", f"127.0.0.1:{port}", "--no-control-socket"]


def start_cluster(env: dict[str, str], cwd: Path, workers: int = 3, *, command=serve_command,
                  ready_s: float = 90) -> Cluster:
    """``command(workers, port)`` (default ``sloboard serve --workers N``) on a free port, in a
    session of its own; returns once ``/readyz`` answers 200 (or fails with the log)."""
    port = free_port()
    log_path = cwd / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command(workers, port), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    cluster = Cluster(f"http://127.0.0.1:{port}", process, log_path, workers)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sloboard serve exited with {process.returncode}:\n{cluster.log()}")
        try:
            if cluster.get("/readyz").status_code == 200:
                return cluster
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    cluster.stop()
    raise AssertionError(f"sloboard serve --workers {workers} not ready in {ready_s} s:\n{cluster.log()}")
