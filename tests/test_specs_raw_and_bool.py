"""Raw-ratio (OpenSLO ``ratioMetric.raw``, Sloth ``sli.raw``) and bool-gauge (Pyrra
``bool_gauge``) indicators load, map to the domain as the formats define them, and are
refused, with the reason, only where they cannot be computed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sloboard.domain import BudgetingMethod, Indicator, IndicatorKind
from sloboard.specs import load_specs


def load(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load_specs([path])


def problems_of(result) -> set[tuple[str, int, str, str]]:
    return {(Path(p.path).name, p.line, p.field, p.severity) for p in result.problems}


# The shape of OpenSLO's README: an inline SLI whose ratioMetric is raw, with rawType.
OPENSLO_RAW = """
    apiVersion: openslo/v1
    kind: SLO
    metadata:
      name: search-quality
      displayName: Search answer quality
    spec:
      service: search
      indicator:
        metadata:
          name: search-quality-ratio
        spec:
          ratioMetric:
            rawType: success
            raw:
              metricSource:
                type: Prometheus
                spec:
                  query: slo:sli_ratio{service="search"}
      timeWindow:
        - duration: 7d
          isRolling: true
      budgetingMethod: Timeslices
      objectives:
        - target: 0.95
          timeSliceTarget: 0.9
          timeSliceWindow: 5m
    """

# Sloth's own examples/raw-home-wifi.yml (file form, as pkg/prometheus/api/v1 spells it).
SLOTH_RAW = """
    version: "prometheus/v1"
    service: "home-wifi"
    labels:
      cluster: "valhalla"
      component: "ubiquiti"
      context: "home"
    slos:
      - name: "wifi-client-satisfaction"
        objective: 95
        description: "Warn us that we have an average wifi connection satisfaction."
        sli:
          raw:
            error_ratio_query: |
              1 - (
                sum(sum_over_time(unifipoller_client_satisfaction_ratio[{{.window}}]))
                /
                sum(count_over_time(unifipoller_client_satisfaction_ratio[{{.window}}]))
              )
        alerting:
          name: WifiClientSatisfaction
          page_alert:
            labels:
              severity: home
          ticket_alert:
            labels:
              severity: warning
    """

# The shape of Pyrra's bool_gauge examples (metric: up{job="prometheus"} in its tests).
PYRRA_BOOL = """
    apiVersion: pyrra.dev/v1alpha1
    kind: ServiceLevelObjective
    metadata:
      name: blackbox-probe
      namespace: monitoring
      labels:
        prometheus: k8s
        role: alert-rules
    spec:
      target: "99"
      window: 4w
      description: The probes of the public site succeed.
      indicator:
        bool_gauge:
          metric: probe_success{job="blackbox"}
    """


def test_openslo_raw_success_ratio_is_a_raw_ratio_of_good_judged_in_its_time_slices(tmp_path):
    result = load(tmp_path, "slo.yaml", OPENSLO_RAW)
    assert result.problems == []
    (slo,) = result.slos
    query = 'slo:sli_ratio{service="search"}'
    assert slo.indicator == Indicator(kind=IndicatorKind.RAW_RATIO, good=query, total=query)
    assert (slo.budgeting, slo.timeslice_target, slo.timeslice_window.total_seconds()) == (
        BudgetingMethod.TIMESLICES, 0.9, 300)


def test_openslo_raw_failure_ratio_is_held_as_bad(tmp_path):
    result = load(tmp_path, "slo.yaml", OPENSLO_RAW.replace("rawType: success", "rawType: failure"))
    (slo,) = result.slos
    assert (slo.indicator.good, slo.indicator.bad) == (None, 'slo:sli_ratio{service="search"}')


def test_openslo_raw_in_a_referenced_sli_with_a_datasource_loads(tmp_path):
    result = load(tmp_path, "slo.yaml", """
        apiVersion: openslo/v1
        kind: DataSource
        metadata:
          name: thanos
        spec:
          type: Thanos
          connectionDetails: {url: http://thanos-query:9090}
        ---
        apiVersion: openslo/v1
        kind: SLI
        metadata:
          name: search-error-ratio
        spec:
          ratioMetric:
            rawType: failure
            raw:
              metricSource:
                metricSourceRef: thanos
                spec:
                  query: sum(rate(errors_total[{{.window}}])) / sum(rate(requests_total[{{.window}}]))
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: errors
        spec:
          service: search
          indicatorRef: search-error-ratio
          budgetingMethod: RatioTimeslices
          objectives:
            - target: 0.99
              timeSliceWindow: 1m
        """)
    assert result.problems == []
    (slo,) = result.slos
    assert (slo.indicator.kind, slo.indicator.data_source, slo.budgeting) == (
        IndicatorKind.RAW_RATIO, "thanos", BudgetingMethod.RATIO_TIMESLICES)


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    pytest.param("        rawType: success\n", "", 11, "spec.indicator.spec.ratioMetric.rawType",
                 "raw needs rawType: success", id="raw without rawType is refused"),
    pytest.param("        rawType: success\n", "        rawType: success\n        total:\n          metricSource:\n"
                 "            type: Prometheus\n            spec: {query: sum(x)}\n",
                 12, "spec.indicator.spec.ratioMetric.total", "raw cannot be used together with good, bad or total",
                 id="raw with a total is refused"),
    pytest.param("rawType: success", "rawType: sucess", 12, "spec.indicator.spec.ratioMetric.rawType",
                 "success", id="an unknown rawType is refused"),
], )
def test_openslo_raw_problems_name_the_field(tmp_path, old, new, line, field, message):
    text = textwrap.dedent(OPENSLO_RAW)
    assert old in text
    result = load(tmp_path, "slo.yaml", text.replace(old, new))
    assert result.slos == []
    assert {(p.field, p.severity) for p in result.problems} == {(field, "error")}, [str(p) for p in result.problems]
    assert message in result.problems[0].message


def test_sloths_raw_example_loads_as_an_error_ratio_budgeted_as_ratio_timeslices(tmp_path):
    result = load(tmp_path, "raw-home-wifi.yml", SLOTH_RAW)
    assert result.problems == []
    (slo,) = result.slos
    assert slo.id == "home-wifi/wifi-client-satisfaction"
    assert slo.indicator.kind is IndicatorKind.RAW_RATIO and slo.indicator.good is None
    assert slo.indicator.bad == slo.indicator.total and "sum_over_time(unifipoller" in slo.indicator.bad
    assert (slo.objective, slo.budgeting, slo.timeslice_window) == (0.95, BudgetingMethod.RATIO_TIMESLICES, None)


def test_pyrra_bool_gauge_counts_samples_and_finds_the_service_in_its_selector(tmp_path):
    result = load(tmp_path, "pyrra.yaml", PYRRA_BOOL)
    assert result.problems == []
    (slo,) = result.slos
    metric = 'probe_success{job="blackbox"}'
    assert slo.id == "blackbox/blackbox-probe"
    assert slo.indicator == Indicator(kind=IndicatorKind.BOOL_GAUGE, good=metric, total=metric)
    assert (slo.objective, slo.budgeting) == (0.99, BudgetingMethod.OCCURRENCES)


def test_pyrra_bool_gauge_keeps_its_grouping(tmp_path):
    text = textwrap.dedent(PYRRA_BOOL) + "      grouping: [instance]\n"
    (slo,) = load(tmp_path, "pyrra.yaml", text).slos
    assert slo.indicator.group_by == ("instance",)


def test_pyrra_bool_gauge_that_is_not_one_selector_is_refused(tmp_path):
    result = load(tmp_path, "pyrra.yaml", PYRRA_BOOL.replace('probe_success{job="blackbox"}',
                                                             'avg(probe_success{job="blackbox"})'))
    assert problems_of(result) == {("pyrra.yaml", 15, "spec.indicator.bool_gauge.metric", "error")}
    assert "one selector of a 0/1 gauge" in result.problems[0].message


def test_pyrra_latency_native_stays_refused_and_says_why(tmp_path):
    result = load(tmp_path, "pyrra.yaml", PYRRA_BOOL.replace(
        '    bool_gauge:\n          metric: probe_success{job="blackbox"}',
        '    latencyNative:\n          latency: 200ms\n          total:\n            metric: http_request_duration_seconds{job="api"}'))
    assert problems_of(result) == {("pyrra.yaml", 14, "spec.indicator.latencyNative", "error")}
    assert "native histograms" in result.problems[0].message and "estimate" in result.problems[0].message
