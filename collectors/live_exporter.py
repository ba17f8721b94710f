"""The synthetic fleet as a live exporter: ``sloboard demo exporter``.

A process that started at ``origin`` serves, at wall time ``t``, the counters a real
fleet's exporters would show: every count of the fleet's steps in ``(origin, t]``
(the step ends at or before ``t``), under the same family names and labels as the
tests' OpenMetrics backfill (``collectors/fleet_metrics.py``), in the Prometheus text format
0.0.4. So Prometheus can scrape it live, and the shipped queries and the demo specs
work on it unchanged.

The fleet runs in stretches of ``STRETCH_S`` seconds from ``origin``, each its own
``stretch_fleet`` (as the demo appends its new minutes): the value at ``t`` is a pure
function of (profiles, seed, step, origin, t), so a test can recompute what was served.
Counters start at 0 at ``origin`` and never reset; ``process_start_time_seconds`` is
``origin``, as in a real exporter.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Sequence

import numpy as np

from .fleet_metrics import CPU_LIMIT_CORES, STATUS_LABELS, container_labels, deployments_per_step, label_set
from .synthetic import CODES, DAY_S, GIB, LE_LABELS, Fleet, ServiceProfile, stretch_fleet

# A day per stretch: long enough for the fleet's deployments (planned between 08:30
# and 17:30 UTC, never within an hour of a stretch's end) and incidents to happen live.
STRETCH_S = DAY_S

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class _Family:
    name: str
    kind: str  # counter | gauge | histogram
    help: str


@dataclass
class _Series:
    family: str
    sample: str  # the sample's name: http_requests_total, ..._bucket, ..._sum
    labels: dict[str, str]
    values: np.ndarray  # counters: cumulative with a leading 0 (index = steps done); gauges: per step


class _Stretch:
    """One stretch's series, cumulative within it."""

    def __init__(self, fleet: Fleet):
        self.start, self.end, self.step_s = fleet.start, fleet.end, fleet.step_s
        self.series = list(_fleet_series(fleet))


_FAMILIES = (
    _Family("container_cpu_allocation", "gauge", "CPU cores allocated to the container: max(request, usage)"),
    _Family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds."),
    _Family("container_memory_allocation_bytes", "gauge", "Memory allocated to the container"),
    _Family("deployments_total", "counter", "Deployments finished, by outcome (success, failed, rolled_back)"),
    _Family("http_request_duration_seconds", "histogram", "Time to answer an HTTP request"),
    _Family("http_requests_total", "counter", "HTTP requests answered, by status code"),
    _Family("kube_node_status_capacity_cpu_cores", "gauge", "node capacity cpu cores"),
    _Family("kube_node_status_capacity_memory_bytes", "gauge", "node capacity memory bytes"),
    _Family("kube_pod_container_resource_limits", "gauge", "The number of requested limit resource by a container."),
    _Family("node_cpu_hourly_cost", "gauge", "USD per CPU core-hour of the node"),
    _Family("node_ram_hourly_cost", "gauge", "USD per GiB-hour of memory of the node"),
    _Family("node_total_hourly_cost", "gauge", "USD per hour for the whole node"),
)
_KIND = {f.name: f.kind for f in _FAMILIES}


def _cumulative(per_step: np.ndarray) -> np.ndarray:
    dtype = np.int64 if np.issubdtype(per_step.dtype, np.integer) else np.float64
    return np.concatenate([np.zeros(1, dtype), np.cumsum(per_step, dtype=dtype)])


def _fleet_series(fleet: Fleet):
    """Every series of ``fleet``, as the OpenMetrics backfill names and labels them."""
    n = fleet.ts.size
    for service in sorted(fleet.service_names):
        series = fleet.series(service)
        for code in CODES:
            yield _Series("http_requests_total", "http_requests_total", {"code": code, "service": service},
                          _cumulative(series.codes[code]))
        family = "http_request_duration_seconds"
        for i, le in enumerate(LE_LABELS):
            yield _Series(family, f"{family}_bucket", {"le": le, "service": service}, _cumulative(series.buckets[:, i]))
        yield _Series(family, f"{family}_count", {"service": service}, _cumulative(series.buckets[:, -1]))
        yield _Series(family, f"{family}_sum", {"service": service}, _cumulative(series.duration_sum))
        for status in sorted(STATUS_LABELS, key=STATUS_LABELS.get):
            yield _Series("deployments_total", "deployments_total", {"service": service, "status": STATUS_LABELS[status]},
                          _cumulative(deployments_per_step(fleet, service, status)))
    for pod in sorted(fleet.pods, key=lambda p: (p.service, p.node.name, p.name)):
        labels = container_labels(pod)
        saturation = fleet.series(pod.service).saturation
        yield _Series("container_cpu_usage_seconds_total", "container_cpu_usage_seconds_total", labels,
                      _cumulative(saturation * CPU_LIMIT_CORES * fleet.step_s))
        yield _Series("kube_pod_container_resource_limits", "kube_pod_container_resource_limits",
                      {**labels, "resource": "cpu", "unit": "core"}, np.full(n, CPU_LIMIT_CORES))
        yield _Series("container_cpu_allocation", "container_cpu_allocation", labels,
                      fleet.series(pod.service).cpu_allocation)
        yield _Series("container_memory_allocation_bytes", "container_memory_allocation_bytes", labels,
                      np.full(n, pod.memory_bytes, dtype=np.int64))
    for node in sorted(fleet.nodes, key=lambda x: x.name):
        for name, value in (("kube_node_status_capacity_cpu_cores", node.cores),
                            ("kube_node_status_capacity_memory_bytes", node.ram_gib * GIB),
                            ("node_cpu_hourly_cost", node.cpu_hourly_usd), ("node_ram_hourly_cost", node.ram_hourly_usd),
                            ("node_total_hourly_cost", node.total_hourly_usd)):
            yield _Series(name, name, {"node": node.name}, np.full(n, value))


class LiveFleet:
    """The fleet's counters and gauges at any wall time after ``origin``; thread-safe."""

    def __init__(self, profiles: Sequence[ServiceProfile], origin: float, *, step_s: int = 1, seed: int = 0):
        if step_s <= 0 or STRETCH_S % step_s:
            raise ValueError(f"step {step_s} s must divide a day ({DAY_S} s)")
        self.profiles = tuple(profiles)
        self.step_s, self.seed = step_s, seed
        self.origin = int(origin) // step_s * step_s
        self._lock = threading.Lock()
        self._k, self._current, self._carry = -1, None, None

    def _advance(self, k: int) -> tuple[_Stretch, np.ndarray]:
        """Stretch ``k`` and each series' total over the stretches before it."""
        with self._lock:
            if k < self._k:  # a clock that went back: start again from the first stretch
                self._k, self._current, self._carry = -1, None, None
            while self._k < k:
                if self._current is not None:  # counters carry on from the stretch's last values
                    last = [s.values[-1].item() if _KIND[s.family] != "gauge" else 0 for s in self._current.series]
                    self._carry = self._carry + np.array(last, dtype=object)  # object: ints stay ints
                self._k += 1
                start = self.origin + self._k * STRETCH_S
                self._current = _Stretch(stretch_fleet(self.profiles, start, start + STRETCH_S,
                                                       step_s=self.step_s, seed=self.seed))
                if self._carry is None:
                    self._carry = np.zeros(len(self._current.series), dtype=object)
            return self._current, self._carry

    def samples(self, t: float) -> list[tuple[str, dict[str, str], float | int]]:
        """(sample name, labels, value) of every series at wall time ``t``."""
        done = max(0, int(t) - self.origin) // self.step_s  # steps ended since origin
        k, in_stretch = divmod(done, STRETCH_S // self.step_s)
        current, carry = self._advance(k)
        out = []
        for series, before in zip(current.series, carry):
            if _KIND[series.family] == "gauge":
                value = series.values[max(in_stretch - 1, 0)]
            else:
                value = series.values[in_stretch] + before
            out.append((series.sample, series.labels, value))
        return out

    def exposition(self, t: float) -> str:
        """The Prometheus text format 0.0.4 at wall time ``t``."""
        by_family: dict[str, list[str]] = {}
        for sample, labels, value in self.samples(t):
            family = next(f for f in _FAMILIES if sample.startswith(f.name))
            by_family.setdefault(family.name, []).append(f"{sample}{label_set(labels)} {_number(value)}\n")
        lines = []
        for family in _FAMILIES:
            lines.append(f"# HELP {family.name} {family.help}\n# TYPE {family.name} {family.kind}\n")
            lines += by_family.get(family.name, [])
        lines.append("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                     f"# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {self.origin}\n")
        return "".join(lines)


def _number(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(round(float(value), 6))


def serve_exporter(fleet: LiveFleet, host: str, port: int, *, on_ready: Callable[[str], None] | None = None,
                   clock: Callable[[], float] | None = None) -> None:
    """Serve ``/metrics`` until interrupted; ``on_ready(url)`` once listening."""
    import time

    now = clock or time.time

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] != "/metrics":
                self._answer(404, "text/plain; charset=utf-8", b"not found; the metrics are at /metrics\n")
                return
            self._answer(200, CONTENT_TYPE, fleet.exposition(now()).encode())

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # a scrape a second would flood the terminal
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    fleet.exposition(now())  # generate the first stretch now, not in the first scrape's time
    try:
        if on_ready is not None:
            on_ready(f"http://{host}:{server.server_address[1]}/metrics")
        server.serve_forever()
    finally:
        server.server_close()
