"""Cost and saturation from the exporters a Kubernetes fleet runs, in a real Prometheus.

OpenCost as many deploy it exports node_total_hourly_cost but neither
node_cpu_hourly_cost nor node_ram_hourly_cost; with its container allocations and the
node capacities it re-exports, sloboard must still price each namespace, keep what the
allocations leave as the idle remainder, and add up to the bill. Saturation comes from
cAdvisor's CPU counters over kube-state-metrics' CPU limits, and node-exporter for hosts.

Every exporter is scraped every 30 s at its own offset from the minute with a few ms of
jitter, as Prometheus records it; values change between scrapes. The truths are computed
here from the values written: a gauge at a step end is its newest sample at or before it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import numpy as np
import pytest

from collectors.collect import collect_pass
from collectors.prometheus import PrometheusSource
from collectors.queries import load_queries
from collectors.targets import CostTarget, GroupedGoldenSignalTarget
from sloboard.settings import PrometheusSettings
from sloboard.reads.status import status_report
from tests.factories import read_options
from tests.series_reads import read_series

from . import prom

pytestmark = pytest.mark.integration

STEP = 60
HOURS = 6
AT = int(datetime(2026, 3, 10, 12, tzinfo=timezone.utc).timestamp())
START = AT - HOURS * 3600
STEPS = START + STEP * np.arange(1, HOURS * 60 + 1, dtype=np.int64)  # step ends, AT last
SEGMENT_S = 600  # allocations and CPU rates change every 10 minutes, between scrapes
GIB = 1 << 30
# OpenCost's default prices (configs/default.json), whose ratio weighs a core against a GiB.
CPU_PER_RAM = 0.031611 / 0.004237

# node: (USD per hour, cores, GiB, instance type). No component prices are exported.
NODES = {
    "ip-10-0-1-17.eu-west-1.compute.internal": (0.384, 8, 32, "m6i.2xlarge"),
    "ip-10-0-2-41.eu-west-1.compute.internal": (0.1152, 4, 16, "m6i.xlarge"),  # spot
    "ip-10-0-3-88.eu-west-1.compute.internal": (0.504, 8, 64, "r6i.2xlarge"),
}
N1, N2, N3 = NODES
# (namespace, pod, container, node, cores allocated (base), GiB allocated)
CONTAINERS = [
    ("checkout", "checkout-7d9f8b6c4-2xkqp", "checkout", N1, 1.0, 2.0),
    ("checkout", "checkout-7d9f8b6c4-9hzvt", "checkout", N2, 1.0, 2.0),
    ("checkout", "checkout-7d9f8b6c4-9hzvt", "istio-proxy", N2, 0.1, 0.125),
    ("payments-prod", "payments-5f6c9d7b8-lq4wd", "payments", N3, 2.0, 8.0),
    ("search", "search-0", "search", N1, 1.5, 6.0),
    ("search", "search-1", "search", N3, 1.5, 6.0),
    ("kube-system", "coredns-5d78c9869d-8xv2n", "coredns", N2, 0.1, 0.07),
]
NAMESPACE_SERVICES = {"payments-prod": "payments"}  # the one namespace not named after its service


def scrape_times(offset_s: float, seed: int) -> np.ndarray:
    """A 30 s scrape at ``offset_s`` past each minute, with Prometheus's few ms of jitter."""
    ticks = START - 300 + offset_s + 30.0 * np.arange((HOURS * 3600 + 300) // 30)
    jitter = np.random.default_rng(seed).uniform(-0.004, 0.004, ticks.size)
    return np.round(ticks + jitter, 3)


def segment_of(t: np.ndarray) -> np.ndarray:
    """Which 10-minute segment a time lies in (the changes happen 3 s after each boundary)."""
    return ((np.asarray(t) - START - 3) // SEGMENT_S).astype(np.int64)


def gauge(name: str, labels: dict, ts: np.ndarray, values) -> prom.MetricSeries:
    values = np.broadcast_to(np.asarray(values, dtype=np.float64), ts.shape)
    return prom.MetricSeries(name, labels, ts.tolist(), values.tolist())


def newest_at_or_before(ts: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A gauge's value at each ``at``, as an instant query reads it (within the lookback)."""
    return np.asarray(values)[np.searchsorted(ts, at, side="right") - 1]


# --- OpenCost ------------------------------------------------------------------------------

OPENCOST_TS = scrape_times(7.0, seed=1)


def allocation_profile(i: int, base: float) -> np.ndarray:
    """Allocation of container ``i`` per scrape: max(request, usage), up 0-40 % per segment."""
    rng = np.random.default_rng(100 + i)
    bumps = rng.uniform(1.0, 1.4, segment_of(OPENCOST_TS).max() + 2)
    return np.round(base * bumps[segment_of(OPENCOST_TS) + 1], 4)


def opencost_series() -> tuple[list[prom.MetricSeries], dict]:
    """What OpenCost exports, and the per-scrape values it was written from."""
    series, written = [], {"cpu": [], "ram": []}
    for k, (node, (usd, cores, gib, kind)) in enumerate(NODES.items()):
        node_labels = {"instance": node, "node": node, "instance_type": kind, "region": "eu-west-1",
                       "provider_id": f"aws:///eu-west-1a/i-0{k}4f9c2b7e1d3a5", "arch": "amd64",
                       "uid": f"4b1d{k}e7c-0a2f-4c1e-9b7d-3f5e8a{k}c1d2e6", "job": "opencost"}
        series.append(gauge("node_total_hourly_cost", node_labels, OPENCOST_TS, usd))
        ksm_labels = {"node": node, "uid": node_labels["uid"], "job": "opencost"}
        series.append(gauge("kube_node_status_capacity_cpu_cores", ksm_labels, OPENCOST_TS, cores))
        series.append(gauge("kube_node_status_capacity_memory_bytes", ksm_labels, OPENCOST_TS, gib * GIB))
    for i, (namespace, pod, container, node, cores, gib) in enumerate(CONTAINERS):
        labels = {"container": container, "instance": node, "job": "opencost", "namespace": namespace,
                  "node": node, "pod": pod, "uid": f"9c7e{i}a1b-5d3f-4e2a-8c6b-1f0d{i}e9a7b4c"}
        cpu = allocation_profile(i, cores)
        ram = np.round(allocation_profile(50 + i, gib) * GIB)
        series.append(gauge("container_cpu_allocation", labels, OPENCOST_TS, cpu))
        series.append(gauge("container_memory_allocation_bytes", labels, OPENCOST_TS, ram))
        written["cpu"].append(cpu)
        written["ram"].append(ram)
    return series, written


def cost_truth(written: dict, priced=tuple(NODES)) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """USD per step per service and of the bill, from the written values alone.

    A namespace pays, on each node, the node's price times its share of the node's
    capacity, a core weighing as much as CPU_PER_RAM GiB (OpenCost's split of a node
    that has only a total price). Only the ``priced`` nodes' containers are priced."""
    per_step = STEP / 3600
    bill = np.zeros(STEPS.size)
    per_gib_equivalent = {}
    for node, (usd, cores, gib, _kind) in NODES.items():
        bill += usd * per_step
        per_gib_equivalent[node] = usd / (CPU_PER_RAM * cores + gib)
    services: dict[str, np.ndarray] = {}
    for (namespace, _pod, _container, node, _c, _g), cpu, ram in zip(CONTAINERS, written["cpu"], written["ram"]):
        cores = newest_at_or_before(OPENCOST_TS, cpu, STEPS)
        gib = newest_at_or_before(OPENCOST_TS, ram, STEPS) / GIB
        if node not in priced:
            continue
        service = NAMESPACE_SERVICES.get(namespace, namespace)
        usd = (CPU_PER_RAM * cores + gib) * per_gib_equivalent[node] * per_step
        services[service] = services.get(service, np.zeros(STEPS.size)) + usd
    return services, bill


@pytest.fixture(scope="module")
def opencost_fleet():
    return opencost_series()


def source_for(server) -> PrometheusSource:
    return PrometheusSource(PrometheusSettings(url=server.url, retry_max_s=1))


def test_opencost_with_only_node_totals_prices_every_service_and_the_idle_rest_adds_up_to_the_bill(
    prometheus_with, opencost_fleet, store
):
    series, written = opencost_fleet
    assert not any(s.name in ("node_cpu_hourly_cost", "node_ram_hourly_cost") for s in series)
    server = prometheus_with(series)
    queries = dataclasses.replace(load_queries(), cost_namespace_services=NAMESPACE_SERVICES)
    summary = collect_pass(store, source_for(server), [CostTarget(queries)], until=AT, since_s=HOURS * 3600,
                           step=STEP, max_points=11_000)
    assert summary.failed == [], summary

    services, bill = cost_truth(written)
    idle = bill - sum(services.values())
    assert idle.min() > 0  # the fleet leaves capacity free: the check below can fail
    for service, usd in services.items():
        ts, got = read_series(store, "cost", f"service:{service}", "opencost", 0, AT)
        np.testing.assert_array_equal(ts, STEPS, err_msg=service)
        np.testing.assert_allclose(got, usd, rtol=1e-9, err_msg=service)
    ts, got_idle = read_series(store, "cost", "service:__idle__", "opencost", 0, AT)
    np.testing.assert_array_equal(ts, STEPS)
    np.testing.assert_allclose(got_idle, idle, rtol=1e-9)
    assert sorted(scope for scope, _ in store.series_keys("cost")) == sorted(
        ["service:__idle__", *(f"service:{s}" for s in services)])

    report = json.loads(status_report(store, [], AT, **read_options()).to_json())
    day = {e["scope"]: e for e in report["cost"] if e["window"] == "1d"}
    assert day["service:__idle__"]["name"] == "Idle (unallocated)"
    assert day["service:payments"]["name"] == "service:payments"
    for service, usd in services.items():
        assert day[f"service:{service}"]["usd"] == pytest.approx(usd.sum(), rel=1e-9), service
    assert day["service:__idle__"]["usd"] == pytest.approx(idle.sum(), rel=1e-9)
    # The bill: every node's hourly price over the six hours, and the scopes add up to it.
    expected_bill = sum(usd for usd, *_ in NODES.values()) * HOURS
    assert day["total"]["usd"] == pytest.approx(expected_bill, rel=1e-12)
    assert sum(e["usd"] for scope, e in day.items() if scope.startswith("service:")) == pytest.approx(
        expected_bill, rel=1e-12)


def test_a_node_without_capacity_series_is_all_idle(prometheus_with, opencost_fleet, store):
    """Its pods cannot be priced (no share of a capacity), so the bill keeps their cost as idle."""
    series, written = opencost_fleet
    kept = [s for s in series if not (s.name.startswith("kube_node_status_capacity") and s.labels["node"] == N3)]
    server = prometheus_with(kept)
    queries = dataclasses.replace(load_queries(), cost_namespace_services=NAMESPACE_SERVICES)
    summary = collect_pass(store, source_for(server), [CostTarget(queries)], until=AT,
                           since_s=HOURS * 3600, step=STEP, max_points=11_000)
    assert summary.failed == [], summary
    services, bill = cost_truth(written, priced=(N1, N2))
    assert "payments" not in services  # its only pod runs on the node without capacity
    assert sorted(scope for scope, _ in store.series_keys("cost")) == sorted(
        ["service:__idle__", *(f"service:{s}" for s in services)])
    for service, usd in services.items():
        np.testing.assert_allclose(read_series(store, "cost", f"service:{service}", "opencost", 0, AT)[1], usd,
                                   rtol=1e-9, err_msg=service)
    _ts, idle = read_series(store, "cost", "service:__idle__", "opencost", 0, AT)
    np.testing.assert_allclose(idle, bill - sum(services.values()), rtol=1e-9)
    assert idle.sum() > NODES[N3][0] * HOURS  # at least the whole node


# --- saturation ---------------------------------------------------------------------------

KUBELET_TS = scrape_times(12.0, seed=2)
KSM_TS = scrape_times(3.0, seed=3)
NODE_EXPORTER_TS = {"ledger-1.int:9100": scrape_times(21.0, seed=4), "ledger-2.int:9100": scrape_times(51.0, seed=5)}
# (namespace, pod, container, CPU limit in cores or None)
LIMITED = [
    ("checkout", "checkout-7d9f8b6c4-2xkqp", "checkout", 2.0),
    ("checkout", "checkout-7d9f8b6c4-9hzvt", "checkout", 2.0),
    ("checkout", "checkout-7d9f8b6c4-9hzvt", "istio-proxy", None),  # no limit: no saturation
    ("search", "search-0", "search", 4.0),
    ("search", "search-0", "log-shipper", 0.25),
]
HOST_CPUS = 4


def usage_rates(i: int) -> np.ndarray:
    """Cores used per 10-minute segment (never above the limit)."""
    return np.round(np.random.default_rng(200 + i).uniform(0.05, 0.95, HOURS * 6 + 2), 3)


def counter_at(ts: np.ndarray, rates: np.ndarray, base: float) -> np.ndarray:
    """A counter of seconds growing at ``rates[segment]`` per second since ``START - 300``."""
    edges = START + 3 + SEGMENT_S * np.arange(-1, rates.size - 1, dtype=np.float64)
    edges[0] = START - 300
    grown = np.concatenate([[0.0], np.cumsum(np.diff(np.append(edges, np.inf))[:-1] * rates[:-1])])
    k = np.clip(np.searchsorted(edges, ts, side="right") - 1, 0, None)
    return np.round(base + grown[k] + (ts - edges[k]) * rates[k], 6)


def saturation_series() -> tuple[list[prom.MetricSeries], dict[str, np.ndarray]]:
    """cAdvisor, kube-state-metrics and node-exporter series; the ratio per segment per service."""
    series, truth = [], {}
    pod_usage: dict[str, np.ndarray] = {}
    for i, (namespace, pod, container, limit) in enumerate(LIMITED):
        rates = usage_rates(i) * (limit or 1.0)
        cg = f"/kubepods/burstable/pod{i}f3c1a2e-77b0-4d5e-9a1c-2b8e{i}d4c6f10"
        series.append(gauge("container_cpu_usage_seconds_total", {
            "container": container, "cpu": "total", "id": f"{cg}/{i}e1f0c9b7a", "image": f"registry.local/{container}:1.4.2",
            "instance": N1, "job": "kubelet", "metrics_path": "/metrics/cadvisor", "name": f"{i}e1f0c9b7a",
            "namespace": namespace, "pod": pod}, KUBELET_TS, counter_at(KUBELET_TS, rates, 51_234.5 + i)))
        pod_usage[pod] = pod_usage.get(pod, 0) + rates
        if limit is not None:
            series.append(gauge("kube_pod_container_resource_limits", {
                "container": container, "job": "kube-state-metrics", "namespace": namespace, "node": N1, "pod": pod,
                "resource": "cpu", "uid": f"{i}f3c1a2e-77b0", "unit": "core"}, KSM_TS, limit))
            ratio = rates / limit
            truth[namespace] = np.maximum(truth.get(namespace, ratio), ratio)
        series.append(gauge("kube_pod_container_resource_limits", {  # memory: not CPU saturation
            "container": container, "job": "kube-state-metrics", "namespace": namespace, "node": N1, "pod": pod,
            "resource": "memory", "uid": f"{i}f3c1a2e-77b0", "unit": "byte"}, KSM_TS, 512 * 1 << 20))
    for pod, rates in pod_usage.items():  # the pod's own cgroup (container=""): left out
        namespace = pod.split("-")[0]
        series.append(gauge("container_cpu_usage_seconds_total", {
            "cpu": "total", "id": f"/kubepods/burstable/pod-{pod}", "instance": N1, "job": "kubelet",
            "metrics_path": "/metrics/cadvisor", "namespace": namespace, "pod": pod},
            KUBELET_TS, counter_at(KUBELET_TS, rates, 99_000.0)))
    busy = []
    for h, (instance, ts) in enumerate(NODE_EXPORTER_TS.items()):
        idle_per_cpu = []
        for cpu in range(HOST_CPUS):
            idle = 1 - usage_rates(10 + h * HOST_CPUS + cpu)
            idle_per_cpu.append(idle)
            for mode, share in (("idle", idle), ("system", (1 - idle) * 0.3), ("user", (1 - idle) * 0.7)):
                series.append(gauge("node_cpu_seconds_total", {
                    "cpu": str(cpu), "instance": instance, "job": "node", "mode": mode, "service": "ledger"},
                    ts, counter_at(ts, share, 812_345.25 + cpu)))
        busy.append(1 - np.mean(idle_per_cpu, axis=0))
    truth["ledger"] = np.max(busy, axis=0)
    return series, truth


def test_saturation_from_cadvisor_and_kube_state_metrics_and_node_exporter(prometheus_with, store):
    series, truth = saturation_series()
    server = prometheus_with(series)
    target = GroupedGoldenSignalTarget("saturation", frozenset(truth), load_queries())
    summary = collect_pass(store, source_for(server), [target], until=AT, since_s=HOURS * 3600, step=STEP,
                           max_points=11_000)
    assert summary.failed == [], summary
    # Steps whose last two minutes lie inside one segment: whatever the per-step window,
    # the counters grew at that segment's rate (to the ms of scrape jitter, 1e-4 of a minute).
    inside = segment_of(STEPS - 150) == segment_of(STEPS)
    assert inside.sum() > STEPS.size * 0.6
    for service, per_segment in truth.items():
        ts, got = read_series(store, "golden", service, "saturation", 0, AT)
        assert ts.size >= STEPS.size - 2, service  # every step but the first has its value
        expected = per_segment[segment_of(ts) + 1]
        keep = inside[np.searchsorted(STEPS, ts)]
        np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-3, err_msg=service)
        assert ((got >= 0) & (got <= 1.0005)).all(), service
