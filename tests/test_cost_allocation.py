"""The idle remainder, the cost section of the queries file and namespaces mapped to services."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from collectors.queries import load_queries
from collectors.targets import CostTarget
from sloboard.engine.cost import IDLE_SCOPE, idle_remainder
from sloboard.errors import ConfigError
from sloboard.reads.cost import cost_scope_name

NAN = np.nan


def test_idle_is_the_bill_less_every_allocation_step_by_step():
    total = np.array([10.0, 10.0, NAN, 8.0, 5.0])
    allocated = [np.array([3.0, NAN, 1.0, 4.0, 4.0]), np.array([2.0, 2.5, 1.0, NAN, 2.0])]
    # a step without any allocation is all idle; a step without a bill has no idle;
    # allocations above the bill give a negative idle, so that the scopes still add up.
    np.testing.assert_array_equal(idle_remainder(total, allocated), [5.0, 7.5, NAN, 4.0, -1.0])
    np.testing.assert_array_equal(idle_remainder(total, []), total)


def test_the_shipped_cost_section_prices_nodes_from_their_totals_with_opencosts_default_ratio():
    queries = load_queries()
    allocation, total = queries.cost_queries(60)
    assert total == "sum(node_total_hourly_cost)"
    assert "node_cpu_hourly_cost" not in allocation and "node_total_hourly_cost" in allocation
    ratio = 0.031611 / 0.004237
    assert allocation.count(repr(ratio)) == 2 and "$" not in allocation
    assert queries.cost_namespace_services == {}


def _cost_file(tmp_path, body: str):
    path = tmp_path / "queries.yaml"
    path.write_text("golden_signals: {}\ndeployments: null\ncost:\n" + body)
    return path


def test_a_cost_file_without_a_total_keeps_allocations_only(tmp_path):
    queries = load_queries(_cost_file(tmp_path, "  query: sum by (namespace) (x)\n"))
    assert queries.cost_queries(60) == ("sum by (namespace) (x)", None)


def test_default_prices_set_the_ratio_and_namespaces_map_to_services(tmp_path):
    queries = load_queries(_cost_file(tmp_path, (
        "  query: x * $cpu_to_ram\n  total: sum(y)\n"
        "  namespace_services: {shop-prod: checkout, shop-canary: checkout}\n"
        "  default_prices: {cpu_core_hour: 0.04, ram_gib_hour: 0.005}\n")))
    assert queries.cost_queries(60)[0] == "x * 8.0"
    target = CostTarget(queries)
    assert target.service_of({"namespace": "shop-canary"}) == "checkout"
    assert target.service_of({"namespace": "search"}) == "search"
    assert target.service_of({}) == "unallocated"
    labelled = CostTarget(dataclasses.replace(queries, cost_scope_label="label_app_kubernetes_io_part_of"))
    assert labelled.service_of({"namespace": "web", "label_app_kubernetes_io_part_of": "storefront"}) == "storefront"
    assert labelled.service_of({"namespace": "web"}) == "web"  # without the label: the namespace


@pytest.mark.parametrize("body, message", [
    pytest.param("  querry: x\n", "cost: unknown key(s) ['querry']", id="a misspelt key is named"),
    pytest.param("  query: x\n  namespace_services: [a, b]\n", "cost.namespace_services",
                 id="namespace_services must be a mapping"),
    pytest.param("  query: x\n  default_prices: {cpu_core_hour: 0}\n", "cost.default_prices",
                 id="a price must be positive"),
    pytest.param("  query: x\n  default_prices: {cpu: 0.03}\n", "cost.default_prices",
                 id="prices are named cpu_core_hour and ram_gib_hour"),
    pytest.param("  - x\n", "cost: expected a mapping", id="cost is a mapping"),
])
def test_mistakes_in_the_cost_section_name_their_key(tmp_path, body, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_queries(_cost_file(tmp_path, body))


def test_the_idle_scope_is_shown_by_what_it_is():
    assert cost_scope_name(IDLE_SCOPE) == cost_scope_name(IDLE_SCOPE, bare=True) == "Idle (unallocated)"
    assert cost_scope_name("service:checkout") == "service:checkout"
    assert cost_scope_name("service:checkout", bare=True) == "checkout"
    assert cost_scope_name("total", bare=True) == "total"
