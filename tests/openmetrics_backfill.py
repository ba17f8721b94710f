"""Write a synthetic fleet as the OpenMetrics text a real exporter would have produced:
the tests' and the bench's Prometheus backfill (names and labels: ``collectors/fleet_metrics.py``).

The file is meant for ``promtool tsdb create-blocks-from openmetrics`` (backfilling a
test Prometheus) and follows the OpenMetrics 1.0 text format: one ``# HELP`` /
``# TYPE`` (and ``# UNIT`` where the name carries a unit) per family, families in
name order and never interleaved, series in label order, each series' samples in
time order, timestamps in seconds, the last line ``# EOF``. It is written as it is
generated, one series (or one histogram) at a time.

Families (counters are cumulative, integers but for CPU seconds; the fleet starts them at
0 at ``start``, every other sample lies on the step ends ``start + step_s .. end``):

=====================================================  =========  ===========================================
``http_requests_total{code,service}``                   counter    requests answered, by status code
``http_request_duration_seconds{service,le}``           histogram  latency; ``le`` spelled as ``LE_LABELS``
``container_cpu_usage_seconds_total{...}``             counter    cAdvisor: CPU seconds used; saturation
                                                                   times ``CPU_LIMIT_CORES`` per second
``kube_pod_container_resource_limits{...}``             gauge      kube-state-metrics: the CPU limit,
                                                                   ``resource="cpu"``, ``unit="core"``
``deployments_total{service,status}``                   counter    finished deployments, status
                                                                   success | failed | rolled_back
``node_cpu_hourly_cost{node}``                          gauge      OpenCost: USD per core-hour of the node
``node_ram_hourly_cost{node}``                          gauge      OpenCost: USD per GiB-hour of the node
``node_total_hourly_cost{node}``                        gauge      OpenCost: USD per hour for the whole node
``container_cpu_allocation{container,namespace,...}``   gauge      OpenCost: cores allocated, max(request, usage)
``container_memory_allocation_bytes{...}``              gauge      OpenCost: bytes allocated
``kube_node_status_capacity_cpu_cores{node}``           gauge      OpenCost: the node's cores
``kube_node_status_capacity_memory_bytes{node}``        gauge      OpenCost: the node's memory
=====================================================  =========  ===========================================

Container series carry ``container``, ``namespace`` (both the service), ``node`` and ``pod``.
A deployment is counted at the first step end at or after it finished.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

import numpy as np

from collectors.fleet_metrics import CPU_LIMIT_CORES, STATUS_LABELS, container_labels, deployments_per_step, label_set
from collectors.synthetic import CODES, GIB, LE_LABELS, Fleet

_LINES_PER_WRITE = 50_000
Points = Callable[[], Iterator[tuple[dict[str, str], np.ndarray, np.ndarray]]]


def write_openmetrics(fleet: Fleet, path_or_file: str | Path | TextIO) -> None:
    """Write every family of ``fleet`` to a path (created or replaced) or an open text file."""
    if isinstance(path_or_file, (str, Path)):
        with open(path_or_file, "w", encoding="utf-8", newline="\n") as out:
            _write_all(fleet, out)
    else:
        _write_all(fleet, path_or_file)


def openmetrics_text(fleet: Fleet) -> str:
    """The same text as a string, for small fleets."""
    buffer = io.StringIO()
    _write_all(fleet, buffer)
    return buffer.getvalue()


def _write_all(fleet: Fleet, out: TextIO) -> None:
    steps = fleet.ts
    counter_ts = np.concatenate([[fleet.start], steps])
    names = sorted(fleet.service_names)
    # In label order: container and namespace are the service, then node, then pod.
    pods = sorted(fleet.pods, key=lambda p: (p.service, p.node.name, p.name))
    nodes = sorted(fleet.nodes, key=lambda n: n.name)

    def requests() -> Iterator:
        for code in CODES:
            for service in names:
                yield {"code": code, "service": service}, counter_ts, _cumulative(fleet.requests(service, code))

    def cpu_usage() -> Iterator:
        for pod in pods:
            seconds = fleet.series(pod.service).saturation * CPU_LIMIT_CORES * fleet.step_s
            yield container_labels(pod), counter_ts, np.concatenate([[0.0], np.cumsum(seconds)])

    def cpu_limits() -> Iterator:
        for pod in pods:
            labels = {**container_labels(pod), "resource": "cpu", "unit": "core"}
            yield labels, steps, np.full(steps.size, CPU_LIMIT_CORES)

    def deployments() -> Iterator:
        for service in names:
            for status in sorted(STATUS_LABELS, key=STATUS_LABELS.get):
                per_step = deployments_per_step(fleet, service, status)
                yield {"service": service, "status": STATUS_LABELS[status]}, counter_ts, _cumulative(per_step)

    def node_gauge(price: Callable) -> Points:
        return lambda: ((({"node": n.name}), steps, np.full(steps.size, price(n))) for n in nodes)

    def cpu_allocation() -> Iterator:
        for pod in pods:
            yield container_labels(pod), steps, fleet.series(pod.service).cpu_allocation

    def memory_allocation() -> Iterator:
        for pod in pods:
            yield container_labels(pod), steps, np.full(steps.size, pod.memory_bytes, dtype=np.int64)

    _family(out, "container_cpu_allocation", "gauge",
            "CPU cores allocated to the container: max(request, usage)", cpu_allocation)
    _family(out, "container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
            cpu_usage, unit="seconds")
    _family(out, "container_memory_allocation_bytes", "gauge",
            "Memory allocated to the container", memory_allocation, unit="bytes")
    _family(out, "deployments", "counter",
            "Deployments finished, by outcome (success, failed, rolled_back)", deployments)
    _histogram(out, fleet, names, counter_ts)
    _family(out, "http_requests", "counter", "HTTP requests answered, by status code", requests)
    _family(out, "kube_node_status_capacity_cpu_cores", "gauge", "node capacity cpu cores",
            node_gauge(lambda n: n.cores))
    _family(out, "kube_node_status_capacity_memory_bytes", "gauge", "node capacity memory bytes",
            node_gauge(lambda n: n.ram_gib * GIB), unit="bytes")
    _family(out, "kube_pod_container_resource_limits", "gauge",
            "The number of requested limit resource by a container.", cpu_limits)
    _family(out, "node_cpu_hourly_cost", "gauge", "USD per CPU core-hour of the node",
            node_gauge(lambda n: n.cpu_hourly_usd))
    _family(out, "node_ram_hourly_cost", "gauge", "USD per GiB-hour of memory of the node",
            node_gauge(lambda n: n.ram_hourly_usd))
    _family(out, "node_total_hourly_cost", "gauge", "USD per hour for the whole node",
            node_gauge(lambda n: n.total_hourly_usd))
    out.write("# EOF\n")


def _cumulative(per_step: np.ndarray) -> np.ndarray:
    """Counter values at ``start`` (0) and at each step end."""
    return np.concatenate([[0], np.cumsum(per_step, dtype=np.int64)])


def _header(out: TextIO, family: str, kind: str, help_text: str, unit: str | None = None) -> None:
    out.write(f"# HELP {family} {_escape_help(help_text)}\n# TYPE {family} {kind}\n")
    if unit:
        out.write(f"# UNIT {family} {unit}\n")


def _family(out: TextIO, family: str, kind: str, help_text: str, points: Points, unit: str | None = None) -> None:
    """One counter or gauge family; a counter's samples are named ``<family>_total``.

    ``points`` yields its series already in label order, so nothing is held back to sort.
    """
    _header(out, family, kind, help_text, unit)
    sample = f"{family}_total" if kind == "counter" else family
    for labels, ts, values in points():
        prefix = f"{sample}{label_set(labels)} "
        times = ts.tolist()
        for lo in range(0, len(times), _LINES_PER_WRITE):
            hi = lo + _LINES_PER_WRITE
            out.write("".join([f"{prefix}{v} {t}\n" for v, t in zip(_numbers(values[lo:hi]), times[lo:hi])]))


def _histogram(out: TextIO, fleet: Fleet, names: list[str], counter_ts: np.ndarray) -> None:
    """Each point of a histogram is its buckets, ``_count`` and ``_sum`` at one timestamp, together."""
    family = "http_request_duration_seconds"
    _header(out, family, "histogram", "Time to answer an HTTP request", unit="seconds")
    for service in names:
        series = fleet.series(service)
        columns = [np.concatenate([[0], np.cumsum(series.buckets[:, i])]) for i in range(len(LE_LABELS))]
        columns.append(columns[-1])  # _count equals the +Inf bucket
        columns.append(np.concatenate([[0.0], np.round(np.cumsum(series.duration_sum), 3)]))
        prefixes = [f'{family}_bucket{label_set({"le": le, "service": service})} ' for le in LE_LABELS]
        prefixes += [f'{family}_count{label_set({"service": service})} ', f'{family}_sum{label_set({"service": service})} ']
        times = counter_ts.tolist()
        rows = len(prefixes)
        for lo in range(0, len(times), _LINES_PER_WRITE // rows):
            hi = lo + _LINES_PER_WRITE // rows
            chunk_times = times[lo:hi]
            lines: list[str] = [""] * (len(chunk_times) * rows)
            for r, (prefix, column) in enumerate(zip(prefixes, columns)):
                lines[r::rows] = [f"{prefix}{v} {t}\n" for v, t in zip(_numbers(column[lo:hi]), chunk_times)]
            out.write("".join(lines))


def _numbers(values: np.ndarray) -> Iterable[str]:
    """Integers as integers; floats in Python's shortest round-trip form."""
    if np.issubdtype(values.dtype, np.integer):
        return map(str, values.tolist())
    return map(repr, values.tolist())


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")
