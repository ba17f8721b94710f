"""The live exporter's values: the synthetic generator's counts, carried across stretches."""

from __future__ import annotations

import numpy as np

from collectors.live_exporter import STRETCH_S, LiveFleet
from collectors.synthetic import DEMO_SERVICES, stretch_fleet

ORIGIN = 1_764_000_000  # on the 5 s grid


def _value(fleet: LiveFleet, t: float, sample: str, **labels: str) -> float:
    return next(v for name, got, v in fleet.samples(t) if name == sample and got == labels)


def test_counters_are_the_generators_counts_since_the_origin_and_carry_over_a_stretch_boundary():
    live = LiveFleet(DEMO_SERVICES, ORIGIN + 3, step_s=5, seed=2)  # origin floors to the step grid
    first = stretch_fleet(DEMO_SERVICES, ORIGIN, ORIGIN + STRETCH_S, step_s=5, seed=2)
    second = stretch_fleet(DEMO_SERVICES, ORIGIN + STRETCH_S, ORIGIN + 2 * STRETCH_S, step_s=5, seed=2)
    checkout = first.series("checkout").codes["200"]
    assert _value(live, ORIGIN + 4, "http_requests_total", code="200", service="checkout") == 0
    assert _value(live, ORIGIN + 12, "http_requests_total", code="200", service="checkout") == checkout[:2].sum()
    later = ORIGIN + STRETCH_S + 3 * 5
    want = checkout.sum() + second.series("checkout").codes["200"][:3].sum()
    assert _value(live, later, "http_requests_total", code="200", service="checkout") == want
    assert isinstance(_value(live, later, "http_requests_total", code="200", service="checkout"), (int, np.integer))
    count = _value(live, later, "http_request_duration_seconds_count", service="search")
    inf = _value(live, later, "http_request_duration_seconds_bucket", le="+Inf", service="search")
    assert count == inf == first.series("search").buckets[:, -1].sum() + second.series("search").buckets[:3, -1].sum()


def test_the_exposition_has_every_family_once_and_the_start_time():
    text = LiveFleet(DEMO_SERVICES, ORIGIN, step_s=1, seed=0).exposition(ORIGIN + 60)
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types))
    assert {"http_requests_total", "http_request_duration_seconds", "deployments_total",
            "container_cpu_usage_seconds_total", "node_total_hourly_cost"} <= set(types)
    assert f"process_start_time_seconds {ORIGIN}\n" in text
    assert 'http_request_duration_seconds_bucket{le="+Inf",service="checkout"} ' in text
