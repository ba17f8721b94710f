"""The golden-signal, deployment and cost queries: a YAML file with defaults shipped
in ``sloboard/data/queries.yaml``, which users may replace (``queries_file``).

A golden-signal template with ``$service`` runs once per service and returns one series;
one without it is grouped: it runs once for every service and returns one series per
service, labelled ``service`` (aggregated ``by (service)`` at the source). A grouped
template may narrow its selectors with ``service=~"$services"``, a regular expression
matching exactly the services with an SLO.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

import yaml

from sloboard.errors import ConfigError

from .promql import DEFAULT_LOOKBACK_S, exact_rates

# What ``$window`` stands for until ``exact_rates`` rewrites the rates over it.
WINDOW_TEMPLATE = "{{.window}}"

# Characters with a meaning in RE2, escaped so that a service name matches only itself.
_REGEX_SPECIAL = re.compile(r"[\\.+*?()|\[\]{}^$]")

# OpenCost's default list prices (its configs/default.json: USD per core-hour, per GiB-hour).
OPENCOST_CPU_CORE_HOUR_USD = 0.031611
OPENCOST_RAM_GIB_HOUR_USD = 0.004237

GOLDEN_SIGNALS = ("traffic", "error_ratio", "latency_p50", "latency_p95", "latency_p99", "saturation")


@dataclass(frozen=True)
class Queries:
    golden_signals: dict[str, str]
    deployments: str | None
    cost: str | None  # USD per hour per scope (OpenCost allocation)
    cost_scope_label: str = "namespace"
    cost_total: str | None = None  # USD per hour of the whole bill; what cost leaves is idle
    cost_namespace_services: Mapping[str, str] = field(default_factory=dict)
    # Price of a core-hour over a GiB-hour, the weight that splits a node's total price
    # between CPU and memory as OpenCost splits it when it knows only the total.
    cost_cpu_to_ram: float = OPENCOST_CPU_CORE_HOUR_USD / OPENCOST_RAM_GIB_HOUR_USD

    def cost_queries(self, step_s: int) -> tuple[str, str | None]:
        """The allocation query and the total query (None: no idle remainder), filled."""
        ratio = repr(self.cost_cpu_to_ram)
        total = fill(self.cost_total, step_s, cpu_to_ram=ratio) if self.cost_total else None
        return fill(self.cost or "", step_s, cpu_to_ram=ratio), total

    def golden(
        self, signal: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S, *,
        service: str | None = None, services: Iterable[str] = (),
    ) -> str:
        """The query of ``signal`` for one ``service``, or grouped over ``services``."""
        if service is None:
            return fill(self.golden_signals[signal], step_s, lookback_s, services=services_regex(services))
        return fill(self.golden_signals[signal], step_s, lookback_s, service=service)

    def golden_is_grouped(self, signal: str) -> bool:
        """True when the template names no ``$service``: one query answers for every service."""
        return "service" not in Template(self.golden_signals[signal]).get_identifiers()


def services_regex(services: Iterable[str]) -> str:
    """An alternation matching exactly ``services`` (Prometheus anchors label regexes), escaped
    for a double-quoted PromQL string: ``a.b`` and ``c`` give ``a\\\\.b|c``."""
    regex = "|".join(_REGEX_SPECIAL.sub(r"\\\g<0>", service) for service in sorted(services))
    return regex.replace("\\", "\\\\").replace('"', '\\"')


def fill(template: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S, **values: str) -> str:
    """Substitute ``$name`` placeholders; ``$window`` makes the rates over it exact per step.

    ``rate(x[$window])`` becomes the events of ``x`` in each step over the step and
    ``increase(x[$window])`` the events themselves, counted from each series' last sample
    at or before the step ends (``collectors.promql``), so that a scrape off the step
    grid still gives every step its value; ``$window`` anywhere else is the step.
    """
    try:
        text = Template(" ".join(template.split())).substitute(window=WINDOW_TEMPLATE, **values)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"query template {template!r}: unknown placeholder {exc}") from exc
    if WINDOW_TEMPLATE not in text:
        return text
    try:
        return exact_rates(text, step_s, lookback_s)
    except ValueError as exc:
        raise ConfigError(f"query template {template!r}: {exc}") from exc


def load_queries(path: Path | None = None) -> Queries:
    """Read the queries file; raise ConfigError naming the file and key on a mistake."""
    where = str(path) if path else "sloboard/data/queries.yaml"
    try:
        text = (
            Path(path).read_text(encoding="utf-8")
            if path
            else resources.files("sloboard.data").joinpath("queries.yaml").read_text(encoding="utf-8")
        )
        raw = yaml.safe_load(text) or {}
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read queries file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    unknown = set(raw) - {"golden_signals", "deployments", "cost"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; expected golden_signals, deployments, cost")
    golden = raw.get("golden_signals") or {}
    bad = set(golden) - set(GOLDEN_SIGNALS)
    if bad:
        raise ConfigError(f"{where}: golden_signals: unknown signal(s) {sorted(bad)}; known: {list(GOLDEN_SIGNALS)}")
    return Queries(
        golden_signals={k: str(v) for k, v in golden.items()},
        deployments=raw.get("deployments"),
        **_cost_fields(raw.get("cost") or {}, where),
    )


_COST_KEYS = ("query", "total", "scope_label", "namespace_services", "default_prices")


def _cost_fields(cost, where: str) -> dict:
    """The ``cost:`` section as ``Queries`` fields; ConfigError naming the key on a mistake."""
    if not isinstance(cost, dict):
        raise ConfigError(f"{where}: cost: expected a mapping with keys {list(_COST_KEYS)}")
    unknown = set(cost) - set(_COST_KEYS)
    if unknown:
        raise ConfigError(f"{where}: cost: unknown key(s) {sorted(unknown)}; expected {', '.join(_COST_KEYS)}")
    mapping = cost.get("namespace_services") or {}
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and v for v in mapping.values()):
        raise ConfigError(f"{where}: cost.namespace_services: expected a mapping of namespace to service name")
    prices = cost.get("default_prices") or {}
    cpu = prices.get("cpu_core_hour", OPENCOST_CPU_CORE_HOUR_USD) if isinstance(prices, dict) else None
    ram = prices.get("ram_gib_hour", OPENCOST_RAM_GIB_HOUR_USD) if isinstance(prices, dict) else None
    if not (isinstance(prices, dict) and set(prices) <= {"cpu_core_hour", "ram_gib_hour"}
            and all(isinstance(p, (int, float)) and not isinstance(p, bool) and p > 0 for p in (cpu, ram))):
        raise ConfigError(f"{where}: cost.default_prices: expected cpu_core_hour and ram_gib_hour, "
                          "positive USD per core-hour and per GiB-hour")
    return {
        "cost": cost.get("query"),
        "cost_scope_label": cost.get("scope_label", "namespace"),
        "cost_total": cost.get("total"),
        "cost_namespace_services": {str(k): v for k, v in mapping.items()},
        "cost_cpu_to_ram": float(cpu) / float(ram),
    }
