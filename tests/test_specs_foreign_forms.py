"""Sloth's and Pyrra's files load in the forms their own tools accept (issue 16, issue 14 item 3).

Non-text label values, numeric Pyrra targets, unknown fields (warnings in Sloth and
Pyrra, errors in OpenSLO), Sloth's Kubernetes form, OpenSLO v1alpha, one-minute
windows, and the service of a Pyrra file that does not name one.
"""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from sloboard.domain import BudgetingMethod, Indicator, IndicatorKind, QueryMode, Severity, Window
from sloboard.specs import load_specs

FOREIGN = Path(__file__).resolve().parent / "specs_fixtures" / "foreign_forms"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(result) -> set[tuple[str, int, str, str]]:
    return {(Path(p.path).name, p.line, p.field, p.severity) for p in result.problems}


def test_every_foreign_form_loads_with_warnings_only_where_listed():
    result = load_specs([FOREIGN])
    assert result.ok, [str(p) for p in result.errors]
    assert sorted(s.id for s in result.slos) == [
        "caddy/caddy-response-latency",
        "k8s-apiserver/requests-availability-openslo",
        "k8s-apiserver/requests-latency-openslo-0",
        "k8s-apiserver/requests-latency-openslo-1",
        "kube-system/kubelet-request-errors",
        "lastfm/nginx-api-errors",
        "myservice-k8s/requests-availability",
        "myservice/requests-availability",
        "web/web-availability-minutely",
    ]
    assert problems_of(result) == {
        ("openslo-v1-one-minute-window.yaml", 28, "spec.timeWindow", "warning"),  # shorter than the alert windows
        ("openslo-v1-one-minute-window.yaml", 29, "spec.timeWindow[0].duration", "warning"),
        ("pyrra-kubelet-request-errors.yaml", 8, "metadata.namespace", "warning"),
        ("pyrra-nginx-api-errors.yaml", 12, "spec.latency", "warning"),
        ("sloth-labels-and-typo.yml", 29, "slos[0].alerting.pageAlert", "warning"),
    }


def by_id():
    return {slo.id: slo for slo in load_specs([FOREIGN]).slos}


def test_label_values_that_yaml_reads_as_numbers_or_booleans_become_their_text():
    sloth = by_id()["myservice/requests-availability"]
    assert dict(sloth.labels) == {"owner": "myteam", "repo": "myorg/myservice", "tier": "2", "generated": "true",
                                  "ratio": "0.2", "retention_days": "90"}  # 0.20 as Sloth's reader writes it
    assert ("prometheus.io/operator", "true") in by_id()["lastfm/nginx-api-errors"].labels
    openslo = by_id()["web/web-availability-minutely"]
    assert dict(openslo.labels) == {"tier": "1", "customer-facing": "true"}


def test_unknown_sloth_field_is_ignored_as_sloth_ignores_it():
    [warning] = [p for p in load_specs([FOREIGN / "sloth-labels-and-typo.yml"]).problems]
    assert warning.message == ("unknown field 'pageAlert'; did you mean 'page_alert'? "
                               "(ignored: Sloth ignores unknown fields)")


def test_sloth_kubernetes_form_maps_as_the_file_form_does(tmp_path):
    # The same SLO written in the prometheus/v1 file form, to compare field for field.
    file_form = write(tmp_path, "file.yml", """
        version: "prometheus/v1"
        service: "myservice-k8s"
        labels: {owner: "myteam", repo: "myorg/myservice", tier: "2"}
        slos:
          - name: "requests-availability"
            objective: 99.9
            description: "Common SLO based on availability for HTTP request responses."
            sli:
              events:
                error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
                total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
            alerting:
              ticket_alert: {disable: true}
        """)
    [expected] = load_specs([file_form]).slos
    k8s = by_id()["myservice-k8s/requests-availability"]
    assert k8s.source.format == "sloth/sloth.slok.dev/v1" and k8s.source.line == 15
    same = {f.name: getattr(k8s, f.name) for f in dataclasses.fields(k8s)
            if f.name not in ("source", "spec_hash", "spec_text")}
    assert same == {f: getattr(expected, f) for f in same}
    assert {w.severity for w in k8s.alert_windows} == {Severity.PAGE}  # ticketAlert.disable: true


def test_sloth_kubernetes_form_uses_its_own_spelling(tmp_path):
    path = write(tmp_path, "k8s.yml", """
        apiVersion: sloth.slok.dev/v1
        kind: PrometheusServiceLevel
        metadata: {name: x, namespace: monitoring}
        spec:
          service: api
          slos:
            - name: availability
              objective: 99
              sli:
                raw:
                  errorRatioQuery: sum(rate(errors[{{.window}}])) / sum(rate(total[{{.window}}]))
              alerting: {name: ApiErrors}
        """)
    result = load_specs([path])
    assert problems_of(result) == set()
    (slo,) = result.slos
    query = "sum(rate(errors[{{.window}}])) / sum(rate(total[{{.window}}]))"
    assert slo.indicator == Indicator(kind=IndicatorKind.RAW_RATIO, bad=query, total=query)
    assert slo.budgeting is BudgetingMethod.RATIO_TIMESLICES


def test_sloth_kubernetes_plugin_sli_names_its_own_spelling(tmp_path):
    path = write(tmp_path, "k8s.yml", """
        apiVersion: sloth.slok.dev/v1
        kind: PrometheusServiceLevel
        metadata: {name: x, namespace: monitoring}
        spec:
          service: api
          slos:
            - name: availability
              objective: 99
              sli:
                plugin:
                  id: sloth-common/kubernetes/apiserver/availability
              alerting: {name: ApiErrors}
        """)
    result = load_specs([path])
    assert problems_of(result) == {("k8s.yml", 10, "spec.slos[0].sli.plugin", "error")}
    assert "a plugin is Go code that Sloth runs" in result.problems[0].message
    assert "write the SLI as events with errorQuery and totalQuery" in result.problems[0].message


def test_openslo_v1alpha_objectives_each_become_an_slo_read_as_v1():
    slos = by_id()
    availability = slos["k8s-apiserver/requests-availability-openslo"]
    assert (availability.objective, availability.window, availability.indicator.mode) == (
        0.999, Window(timedelta(days=30)), QueryMode.WINDOW)
    assert availability.description.startswith("Apiserver are returning correctly")
    assert availability.source.format == "openslo/v1alpha"
    fast, slow = slos["k8s-apiserver/requests-latency-openslo-0"], slos["k8s-apiserver/requests-latency-openslo-1"]
    assert (fast.objective, fast.indicator.kind, fast.indicator.latency_threshold_s) == (
        0.99, IndicatorKind.LATENCY, 0.4)
    assert (slow.objective, slow.indicator.latency_threshold_s) == (0.999, 5.0)
    assert fast.spec_hash != slow.spec_hash


V1ALPHA = """
    apiVersion: openslo/v1alpha
    kind: SLO
    metadata:
      name: checkout
    spec:
      service: shop
      budgetingMethod: Occurrences
      objectives:
        - ratioMetrics:
            good: {source: prometheus, queryType: promql, query: 'sum(rate(req{code!~"5.."}[{{.window}}]))'}
            total: {source: prometheus, queryType: promql, query: 'sum(rate(req[{{.window}}]))'}
          target: 0.99
      timeWindows:
        - count: 4
          unit: Week
    """


def test_openslo_v1alpha_maps_units_and_keeps_the_budgeting_method(tmp_path):
    [slo] = load_specs([write(tmp_path, "a.yaml", V1ALPHA)]).slos
    assert (slo.id, slo.window, slo.objective) == ("shop/checkout", Window(timedelta(weeks=4)), 0.99)


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    pytest.param("budgetingMethod: Occurrences", "budgetingMethod: Timeslices", 7, "spec.budgetingMethod",
                 "write the SLO as openslo/v1 with objectives[].timeSliceWindow",
                 id="v1alpha timeslices are refused naming the v1 field"),
    pytest.param("unit: Week", "unit: Second", 15, "spec.timeWindows[0].unit",
                 "openslo/v1 has no windows in seconds (timeWindow[].duration takes m, h, d, w, M or Q)",
                 id="a window in seconds is refused naming the v1 field"),
    pytest.param("queryType: promql, query: 'sum(rate(req[", "queryType: sql, query: 'sum(rate(req[", 11,
                 "spec.objectives[0].ratioMetrics.total.queryType", "sloboard reads PromQL (queryType: promql)",
                 id="a query type other than promql is refused"),
    pytest.param("target: 0.99", "target: 99", 12, "spec.objectives[0].target",
                 "looks like a percent", id="a v1 problem points at the v1alpha field"),
    pytest.param("[{{.window}}]))'}\n        total", "[5m]))'}\n        total", 10,
                 "spec.objectives[0].ratioMetrics.good", "use {{.window}} in both the good and the total query",
                 id="a query problem points at the v1alpha objective's query"),
    pytest.param("unit: Week", "unit: Month", 14, "spec.timeWindows[0]", "a rolling window needs a fixed length",
                 id="a rolling month points at the v1alpha window"),
])
def test_openslo_v1alpha_refusals_name_the_field_in_the_file(tmp_path, old, new, line, field, message):
    text = textwrap.dedent(V1ALPHA)
    assert old in text
    result = load_specs([write(tmp_path, "a.yaml", text.replace(old, new))])
    assert [(p.line, p.field, p.severity) for p in result.problems] == [(line, field, "error")], \
        [str(p) for p in result.problems]
    assert message in result.problems[0].message
    assert result.slos == []


def test_unknown_field_in_openslo_v1alpha_stays_an_error(tmp_path):
    result = load_specs([write(tmp_path, "a.yaml", V1ALPHA.replace("budgetingMethod", "budgetMethod"))])
    assert problems_of(result) == {("a.yaml", 7, "spec.budgetMethod", "error")}
    assert result.slos == []


PYRRA = """
    apiVersion: pyrra.dev/v1alpha1
    kind: ServiceLevelObjective
    metadata:
      name: http-errors
      namespace: monitoring
      labels: {prometheus: k8s, role: alert-rules}
    spec:
      target: "99.99"
      window: 2w
      indicator:
        ratio:
          errors:
            metric: prometheus_http_requests_total{job="prometheus",code=~"5.."}
          total:
            metric: prometheus_http_requests_total{job="prometheus"}
    """


def pyrra_slo(tmp_path, old: str = "", new: str = ""):
    text = textwrap.dedent(PYRRA)
    assert old in text
    return load_specs([write(tmp_path, "pyrra.yaml", text.replace(old, new))])


@pytest.mark.parametrize(("old", "new", "service"), [
    pytest.param("", "", "prometheus", id="the job matcher both queries share names the service"),
    pytest.param('{job="prometheus",code', '{service="search",job="prometheus",code', "prometheus",
                 id="a service matcher on only one query is not shared"),
    pytest.param('job="prometheus"', 'service="search",job="prometheus"', "search",
                 id="a shared service matcher comes before the job"),
    pytest.param('job="prometheus"', 'app="prom",job="kube/prometheus"', "prom",
                 id="a job that cannot be part of an id gives way to the app"),
    pytest.param("role: alert-rules}", "role: alert-rules, app.kubernetes.io/name: prom-server}\n  "
                 "annotations: {sloboard.dev/service: search}", "search", id="the annotation comes first"),
])
def test_pyrra_service_comes_from_the_queries(tmp_path, old, new, service):
    result = pyrra_slo(tmp_path, old, new)
    assert result.problems == [], [str(p) for p in result.problems]
    [slo] = result.slos
    assert (slo.service, slo.id) == (service, f"{service}/http-errors")


def test_pyrra_service_from_a_metadata_label_when_the_queries_name_none(tmp_path):
    result = pyrra_slo(tmp_path, "role: alert-rules}", "role: alert-rules, app.kubernetes.io/name: prom-server}")
    result = load_specs([write(tmp_path, "pyrra.yaml", (tmp_path / "pyrra.yaml").read_text()
                               .replace('job="prometheus"', 'job=~"prometheus.*"'))])
    assert result.problems == []
    assert [s.id for s in result.slos] == ["prom-server/http-errors"]


def test_pyrra_namespace_is_the_service_only_with_a_warning_that_says_how_to_set_it(tmp_path):
    result = pyrra_slo(tmp_path, 'job="prometheus"', 'job=~"prometheus.*"')
    assert [s.id for s in result.slos] == ["monitoring/http-errors"]
    [warning] = result.problems
    assert (warning.line, warning.field, warning.severity) == (5, "metadata.namespace", "warning")
    assert "set the annotation sloboard.dev/service: <name>" in warning.message


def test_pyrra_numeric_target_is_read_as_pyrra_reads_it(tmp_path):
    [slo] = pyrra_slo(tmp_path, 'target: "99.99"', "target: 99.5").slos
    assert slo.objective == 0.995
    assert by_id()["caddy/caddy-response-latency"].objective == 0.9


def test_unknown_sloboard_annotation_in_a_pyrra_file_stays_an_error(tmp_path):
    result = pyrra_slo(tmp_path, "role: alert-rules}", "role: alert-rules}\n  annotations: {sloboard.dev/servce: x}")
    assert problems_of(result) == {("pyrra.yaml", 7, "metadata.annotations.sloboard.dev/servce", "error")}
    assert result.slos == []


def test_every_problem_of_a_sloth_file_shows_in_one_run(tmp_path):
    # Before, the unknown field alone was reported (as an error) and the plugin SLI not at all.
    path = write(tmp_path, "sloth.yml", """
        version: "prometheus/v1"
        service: myservice
        slos:
          - name: ratio
            objective: 99
            sli:
              plugin:
                id: sloth-common/availability
            alerting:
              pageAlert: {disable: true}
          - name: availability
            objective: 99.9
            sli:
              events:
                error_query: sum(rate(x{code=~"5.."}[{{.window}}]))
                total_query: sum(rate(x[{{.window}}]))
        """)
    result = load_specs([path])
    assert problems_of(result) == {("sloth.yml", 7, "slos[0].sli.plugin", "error"),
                                   ("sloth.yml", 10, "slos[0].alerting.pageAlert", "warning")}
    assert [s.id for s in result.slos] == ["myservice/availability"]


def test_every_problem_of_an_openslo_file_shows_in_one_run_and_the_slo_stays_out(tmp_path):
    # Before, only the unknown field was reported: the missing SLI went unseen until it was fixed.
    path = write(tmp_path, "slo.yaml", """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: availability
          lables: {team: shop}
        spec:
          service: shop
          indicatorRef: shop-availability
          budgetingMethod: Occurrences
          objectives:
            - target: 0.99
        """)
    result = load_specs([path])
    assert problems_of(result) == {("slo.yaml", 5, "metadata.lables", "error"),
                                   ("slo.yaml", 8, "spec.indicatorRef", "error")}
    assert result.slos == []
