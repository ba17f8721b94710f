"""The dashboard's own metrics, written in the Prometheus text exposition format 0.0.4.

Small on purpose: a thread-safe histogram family with labels is all the dashboard
records itself; store-derived numbers (collector and report runs) are rendered as
gauges at scrape time by ``routes``. Format reference:
https://prometheus.io/docs/instrumenting/exposition_formats/
"""

from __future__ import annotations

import math
import threading
from typing import Iterable

# Seconds; covers a fast health check (a millisecond) up to a slow 90-day chart.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def escape_label(value: str) -> str:
    """Label values escape backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_labels(labels: Iterable[tuple[str, str]]) -> str:
    pairs = [f'{name}="{escape_label(str(value))}"' for name, value in labels]
    return "{" + ",".join(pairs) + "}" if pairs else ""


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if value != int(value) else str(int(value))


class Histogram:
    """A histogram family: cumulative ``_bucket`` counts per ``le``, plus ``_sum`` and ``_count``."""

    def __init__(self, name: str, help_text: str, label_names: tuple[str, ...], buckets=LATENCY_BUCKETS):
        self.name = name
        self.help_text = help_text
        self.label_names = label_names
        self.buckets = tuple(sorted(buckets))
        self._series: dict[tuple[str, ...], list[float]] = {}  # label values -> counts per bucket + sum
        self._lock = threading.Lock()

    def observe(self, value: float, *label_values: str) -> None:
        if len(label_values) != len(self.label_names):
            raise ValueError(f"{self.name}: expected labels {self.label_names}, got {label_values}")
        with self._lock:
            counts = self._series.setdefault(label_values, [0.0] * (len(self.buckets) + 2))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            counts[-2] += 1  # +Inf, which is also the count
            counts[-1] += value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        with self._lock:
            series = sorted(self._series.items())
        for label_values, counts in series:
            base = list(zip(self.label_names, label_values))
            for bound, count in zip(self.buckets, counts):
                lines.append(f"{self.name}_bucket{format_labels(base + [('le', format_value(bound))])} {format_value(count)}")
            lines.append(f"{self.name}_bucket{format_labels(base + [('le', '+Inf')])} {format_value(counts[-2])}")
            lines.append(f"{self.name}_sum{format_labels(base)} {format_value(counts[-1])}")
            lines.append(f"{self.name}_count{format_labels(base)} {format_value(counts[-2])}")
        return lines


class CounterFamily:
    """A counter family with one label: ``name_total{label="value"}``."""

    def __init__(self, name: str, help_text: str, label_name: str):
        self.name = name
        self.help_text = help_text
        self.label_name = label_name
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def inc(self, label_value: str) -> None:
        with self._lock:
            self._counts[label_value] = self._counts.get(label_value, 0) + 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} counter"]
        with self._lock:
            counts = sorted(self._counts.items())
        lines += [f"{self.name}{format_labels([(self.label_name, value)])} {count}" for value, count in counts]
        return lines


def gauge_family(name: str, help_text: str, samples: Iterable[tuple[tuple[tuple[str, str], ...], float]]) -> list[str]:
    """A gauge family from ``((labels...), value)`` pairs computed at scrape time."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{format_labels(labels)} {format_value(value)}" for labels, value in samples]
    return lines


class Metrics:
    """The histograms one dashboard app records."""

    def __init__(self) -> None:
        self.requests = Histogram(
            "sloboard_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and status code.",
            ("route", "method", "code"),
        )
        self.callbacks = Histogram(
            "sloboard_dash_callback_duration_seconds",
            "Time to run one Dash callback request, by the outputs it updates.",
            ("output",),
        )
        self.computations = CounterFamily(
            "sloboard_computations_total",
            "Per-instant results computed by this process (the others came from a cache), by result.",
            "result",
        )

    def render(self) -> list[str]:
        return self.requests.render() + self.callbacks.render() + self.computations.render()
