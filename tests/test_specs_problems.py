"""Every kind of spec problem: the message, and the file, line and field it points at."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sloboard.specs import load_specs


def load_text(tmp_path: Path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path, load_specs([path])


def the_problem(result, substring: str):
    found = [p for p in result.problems if substring in p.message]
    assert found, f"no problem mentions {substring!r}; got: {[str(p) for p in result.problems]}"
    return found[0]


OPENSLO_HEAD = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: checkout
"""
# Lines 1-6 above; the indicator follows from line 7.
RATIO_INDICATOR = """
  indicator:
    metadata:
      name: ok
    spec:
      ratioMetric:
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="checkout",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="checkout"})
"""
# RATIO_INDICATOR is lines 7-21 (good on 12, total on 17); timeWindow follows on line 22.


def openslo(tail: str, indicator: str = RATIO_INDICATOR) -> str:
    tail = textwrap.indent(textwrap.dedent(tail).strip("\n"), "  ")
    return OPENSLO_HEAD.strip("\n") + "\n" + indicator.strip("\n") + "\n" + tail + "\n"


GOOD_TAIL = """
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""

ERROR_CASES = [
    pytest.param(openslo(GOOD_TAIL.replace("0.999", "1.5")), "target must be between 0 and 1", 27,
                 "spec.objectives[0].target", id="objective above one is rejected"),
    pytest.param(openslo(GOOD_TAIL.replace("0.999", "99.9")), "looks like a percent: write target: 0.999",
                 27, "spec.objectives[0].target", id="percent written as an OpenSLO target is rejected with a hint"),
    pytest.param(openslo(GOOD_TAIL.replace("target: 0.999", "targetPercent: 100")),
                 "targetPercent must be between 0 and 100", 27, "spec.objectives[0].targetPercent",
                 id="target percent of one hundred is rejected"),
    pytest.param(openslo(GOOD_TAIL.replace("budgetingMethod", "budgetingMetod")),
                 "unknown field 'budgetingMetod'; did you mean 'budgetingMethod'?", 25, "spec.budgetingMetod",
                 id="unknown field names the closest valid one"),
    pytest.param(openslo(GOOD_TAIL.replace("budgetingMethod: Occurrences", "")), "required field is missing",
                 2 + 3, "spec.budgetingMethod", id="missing required field points at its parent"),
    pytest.param(openslo(GOOD_TAIL.replace("0.999", "high")), "expected a number, got the text 'high'", 27,
                 "spec.objectives[0].target", id="wrong type names what was expected and found"),
    pytest.param(openslo(GOOD_TAIL.replace("Occurrences", "Occurences")),
                 "must be one of Occurrences, Timeslices, RatioTimeslices; got the text 'Occurences'; "
                 "did you mean 'Occurrences'?", 25, "spec.budgetingMethod",
                 id="misspelt budgeting method suggests the right one"),
    pytest.param(openslo(GOOD_TAIL.replace("28d", "28 days")), "'28 days' is not a duration", 23,
                 "spec.timeWindow[0].duration", id="bad window duration is rejected"),
    pytest.param(openslo(GOOD_TAIL.replace("28d", "1M")), "a rolling window needs a fixed length", 23,
                 "spec.timeWindow[0].duration", id="rolling window in months is rejected"),
    pytest.param(openslo(GOOD_TAIL.replace("- duration: 28d\n      isRolling: true",
                                           "- duration: 1M\n      calendar:\n"
                                           "        startTime: 2024-01-01 00:00:00\n        timeZone: Mars/Olympus")),
                 "unknown time zone 'Mars/Olympus'", 26, "spec.timeWindow[0].calendar.timeZone",
                 id="unknown time zone is rejected"),
    pytest.param(openslo(GOOD_TAIL.replace("Occurrences", "Timeslices")),
                 "budgetingMethod Timeslices needs it", 27, "spec.objectives[0].timeSliceTarget",
                 id="timeslices without a slice target is rejected"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace("type: Prometheus", "type: Datadog", 1)),
                 "sloboard reads PromQL sources", 14, "spec.indicator.spec.ratioMetric.good.metricSource.type",
                 id="a non-PromQL source is rejected"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace("query:", "promql:", 1)),
                 "unknown field 'promql'; valid: query", 16,
                 "spec.indicator.spec.ratioMetric.good.metricSource.spec.promql",
                 id="a misnamed query key lists the valid one"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace("good:", "bad:", 1).replace(
        "        total:", "        good:\n          metricSource:\n            type: Prometheus\n"
        "            spec:\n              query: x\n        total:")),
                 "give good or bad, not both", 12, "spec.indicator.spec.ratioMetric.bad",
                 id="good and bad together are rejected"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace('[', '').replace(
        'code!~"5.."})', 'code!~"5.."}[{{.window}}])')),
                 "use {{.window}} in both the good and the total query", 12,
                 "spec.indicator.spec.ratioMetric.good", id="window template in only one query is rejected"),
    pytest.param(openslo(GOOD_TAIL, "  indicatorRef: checkout-errors\n"),
                 "unknown SLI (no kind: SLI with this metadata.name in the loaded files) 'checkout-errors'", 7,
                 "spec.indicatorRef", id="reference to a missing SLI is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("metadata:\n  name: availability",
                                            "metadata:\n  name: availability\n  annotations:\n"
                                            "    sloboard.dev/teem: storefront"),
                 "unknown sloboard annotation 'sloboard.dev/teem'; did you mean 'sloboard.dev/team'?", 6,
                 "metadata.annotations.sloboard.dev/teem", id="misspelt sloboard annotation suggests the right one"),
    pytest.param(openslo(GOOD_TAIL).replace("metadata:\n  name: availability",
                                            "metadata:\n  name: availability\n  annotations:\n"
                                            "    sloboard.dev/alert-windows: page 14.4x 5m/1h"),
                 "the short window (1h) must be shorter than the long window (5m)", 6,
                 "metadata.annotations.sloboard.dev/alert-windows", id="alert window with swapped windows is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("metadata:\n  name: availability",
                                            "metadata:\n  name: availability\n  annotations:\n"
                                            "    sloboard.dev/warn-below: '25'"),
                 "write 25% or 0.25", 6, "metadata.annotations.sloboard.dev/warn-below",
                 id="budget share out of range asks for a percent"),
    pytest.param(openslo(GOOD_TAIL).replace("name: availability", "name: check out"),
                 "cannot be used in the SLO id", 4, "metadata.name", id="name with a space is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("apiVersion: openslo/v1", "apiVersion: openslo/v2alpha"),
                 "unsupported OpenSLO version 'openslo/v2alpha'; sloboard reads openslo/v1", 1, "apiVersion",
                 id="unknown OpenSLO version is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("apiVersion: openslo/v1", "apiVersion: example.com/v1"),
                 "unknown apiVersion 'example.com/v1'", 1, "apiVersion", id="unknown apiVersion is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("kind: SLO", "kind: Servce"),
                 "unknown kind 'Servce'; did you mean 'Service'?", 2, "kind", id="unknown kind suggests the closest"),
    pytest.param(openslo(GOOD_TAIL).replace("kind: SLO", "kind: [SLO]"),
                 "; did you mean 'SLO'?", 2, "kind", id="kind that is a list is rejected"),
    pytest.param("service: checkout\nslos: []\n", "not an SLO spec", 1, "",
                 id="document without apiVersion or version is rejected"),
    pytest.param("- 1\n- 2\n", "a spec object must be a mapping", 1, "", id="list of scalars is rejected"),
    pytest.param(openslo(GOOD_TAIL).replace("  service: checkout", "  service: checkout\n  service: payments"),
                 "duplicate key 'service' (first on line 6)", 7, "spec.service", id="duplicate key is reported"),
    pytest.param("apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: [unclosed\n", "malformed YAML (line 5",
                 5, "", id="malformed YAML names the line"),
    pytest.param("apiVersion: openslo/v1\n  kind: SLO\n", "malformed YAML (line 2", 2, "",
                 id="bad indentation is malformed YAML"),
    pytest.param("", "empty file", 0, "", id="empty file is reported"),
    pytest.param("# only a comment\n---\n", "empty file", 0, "", id="file with only comments is empty"),
    # Sloth
    pytest.param("""
        version: "prometheus/v1"
        service: search
        slos:
          - name: availability
            objective: 99.5
            sli:
              events:
                error_query: sum(rate(http_requests_total{code=~"5.."}[5m]))
                total_query: sum(rate(http_requests_total[{{ .window }}]))
        """, "must contain the {{.window}} template variable, as Sloth requires", 8,
                 "slos[0].sli.events.error_query", id="Sloth query without the window template is rejected"),
    pytest.param("""
        version: "prometheus/v1"
        service: search
        slos:
          - name: availability
            objective: 100
            sli:
              events:
                error_query: sum(rate(x{code=~"5.."}[{{.window}}]))
                total_query: sum(rate(x[{{.window}}]))
        """, "objective is a percent between 0 and 100, exclusive; got 100", 5, "slos[0].objective",
                 id="Sloth objective of one hundred percent is rejected"),
    pytest.param("""
        version: "prometheus/v1"
        service: search
        slos:
          - name: availability
            objective: 99
            sli:
              raw:
                error_ratio_query: sum(errors) / sum(total)
        """, "must contain the {{.window}} template variable", 8, "slos[0].sli.raw.error_ratio_query",
                 id="Sloth raw SLI without the window template is refused, as Sloth refuses it"),
    pytest.param("""
        version: "prometheus/v1"
        service: search
        slos:
          - name: availability
            objective: 99
            sli:
              plugin:
                id: sloth-common/availability
        """, "plugin SLIs are not supported", 7, "slos[0].sli.plugin", id="Sloth plugin SLI is refused by name"),
    pytest.param('version: "prometheus/v2"\nservice: x\n', "unknown Sloth spec version 'prometheus/v2'", 1,
                 "version", id="unknown Sloth version is rejected"),
    # Pyrra
    pytest.param("""
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: latency
          namespace: search
        spec:
          target: "100.5"
          window: 28d
          indicator:
            ratio:
              errors: {metric: 'http_requests_total{code=~"5.."}'}
              total: {metric: http_requests_total}
        """, "target is a percent between 0 and 100, exclusive", 7, "spec.target",
                 id="Pyrra target above one hundred is rejected"),
    pytest.param("""
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: latency
          namespace: search
        spec:
          target: [99.5]
          window: 28d
          indicator:
            ratio:
              errors: {metric: 'http_requests_total{code=~"5.."}'}
              total: {metric: http_requests_total}
        """, "expected text, got a list", 7, "spec.target", id="Pyrra target that is a list is a wrong type"),
    pytest.param("""
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: latency
          namespace: search
        spec:
          target: "99"
          window: 4 weeks
          indicator:
            ratio:
              errors: {metric: 'http_requests_total{code=~"5.."}'}
              total: {metric: http_requests_total}
        """, "'4 weeks' is not a duration", 8, "spec.window", id="Pyrra window that is not a duration is rejected"),
    pytest.param("""
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: latency
          namespace: search
        spec:
          target: "99"
          window: 28d
          indicator:
            latency:
              success: {metric: 'http_request_duration_seconds_bucket{service="search"}'}
              total: {metric: 'http_request_duration_seconds_count{service="search"}'}
        """, "latency.success must be one histogram bucket with an le matcher", 11,
                 "spec.indicator.latency.success.metric", id="Pyrra latency without le is rejected"),
]


@pytest.mark.parametrize(("text", "substring", "line", "field"), ERROR_CASES)
def test_error_is_reported_at_its_line_and_field(tmp_path, text, substring, line, field):
    path, result = load_text(tmp_path, text)
    problem = the_problem(result, substring)
    assert (problem.path, problem.line, problem.field, problem.severity) == (str(path), line, field, "error")
    assert not result.ok
    assert result.slos == []


WARNING_CASES = [
    pytest.param("""
        version: "prometheus/v1"
        service: search
        slos:
          - name: availability
            objective: 0.999
            sli:
              events:
                error_query: sum(rate(x{code=~"5.."}[{{.window}}]))
                total_query: sum(rate(x[{{.window}}]))
        """, "objective is 0-100, 0.999 means 0.999 %; did you mean 99.9?", 5, "slos[0].objective",
                 id="Sloth objective written as a fraction warns"),
    pytest.param("""
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: errors
          namespace: search
        spec:
          target: "0.999"
          window: 28d
          indicator:
            ratio:
              errors: {metric: 'http_requests_total{code=~"5.."}'}
              total: {metric: http_requests_total}
        """, "target is 0-100, 0.999 means 0.999 %", 7, "spec.target", id="Pyrra target written as a fraction warns"),
    pytest.param(openslo(GOOD_TAIL.replace("target: 0.999", "targetPercent: 0.999")),
                 "targetPercent is 0-100, 0.999 means 0.999 %; did you mean target: 0.999?", 27,
                 "spec.objectives[0].targetPercent", id="OpenSLO target percent written as a fraction warns"),
    pytest.param(openslo(GOOD_TAIL.replace("- duration: 28d\n      isRolling: true",
                                           "- duration: 1m\n      isRolling: false\n      calendar:\n"
                                           "        startTime: 2024-01-01 00:00:00\n        timeZone: UTC")),
                 "'1m' is 1 minute(s); did you mean 1M (month)? sloboard has no calendar windows shorter than "
                 "a week, so it reads this as a rolling 1m window", 23, "spec.timeWindow[0].duration",
                 id="calendar window of one minute warns and suggests one month"),
    pytest.param(openslo(GOOD_TAIL.replace("28d", "1d")),
                 "the window 1d is shorter than the longest alert window (3d)", 22, "spec.timeWindow",
                 id="window shorter than the longest alert window warns"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace('sum(http_requests_total{service="checkout",code',
                                                            'sum(http_errors_total{service="checkout",code')),
                 "reads metric http_errors_total but the total reads http_requests_total", 12,
                 "spec.indicator.spec.ratioMetric.good", id="good and total over different metrics warn"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace('service="checkout",code', 'service="payments",code')),
                 'the total selects {service="checkout"} but this query does not', 12,
                 "spec.indicator.spec.ratioMetric.good", id="good and total over different label sets warn"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace("sum(http_requests_total{service=\"checkout\"})",
                                                            "sum by (pod) (http_requests_total{service=\"checkout\"})")),
                 "groups by nothing but the total by (pod)", 12, "spec.indicator.spec.ratioMetric.good",
                 id="good and total grouped differently warn"),
    pytest.param(openslo(GOOD_TAIL, RATIO_INDICATOR.replace(
        'sum(http_requests_total{service="checkout"})', 'sum(rate(http_requests_total{service="checkout"}[5m]))')),
                 "rate() in a query without {{.window}}", 17, "spec.indicator.spec.ratioMetric.total",
                 id="rate in a counter query warns"),
    pytest.param(openslo(GOOD_TAIL + "  alertPolicies:\n    - page-on-burn\n"),
                 "alert policies are not used", 28, "spec.alertPolicies", id="OpenSLO alert policies warn as unused"),
]


@pytest.mark.parametrize(("text", "substring", "line", "field"), WARNING_CASES)
def test_warning_points_at_the_mistake_and_keeps_the_slo(tmp_path, text, substring, line, field):
    path, result = load_text(tmp_path, text)
    problem = the_problem(result, substring)
    assert (problem.path, problem.line, problem.field, problem.severity) == (str(path), line, field, "warning")
    assert result.ok
    assert len(result.slos) == 1


def test_clean_openslo_spec_has_no_problems(tmp_path):
    # The base text of the tables above must itself be clean, or the cases prove little.
    _, result = load_text(tmp_path, openslo(GOOD_TAIL))
    assert result.problems == []
    assert [s.id for s in result.slos] == ["checkout/availability"]


def test_problem_prints_as_file_line_field_message(tmp_path):
    path, result = load_text(tmp_path, openslo(GOOD_TAIL.replace("0.999", "1.5")))
    assert str(the_problem(result, "target must be")) == (
        f"{path}:27: spec.objectives[0].target: target must be between 0 and 1, exclusive; got 1.5")


def test_every_problem_in_a_file_is_reported(tmp_path):
    text = openslo("""
      timeWindow:
        - duration: 28 days
      budgetingMethod: Occurences
      objectives:
        - target: 1.5
          colour: blue
    """).replace("name: availability", "name: availability\n  nmae: typo")
    path, result = load_text(tmp_path, text)
    found = {(p.line, p.field) for p in result.problems}
    assert found == {
        (5, "metadata.nmae"),
        (24, "spec.timeWindow[0].duration"),
        (25, "spec.budgetingMethod"),
        (27, "spec.objectives[0].target"),
        (28, "spec.objectives[0].colour"),
    }
    assert all(p.path == str(path) and p.severity == "error" for p in result.problems)


def test_problems_in_several_documents_and_files_are_all_reported(tmp_path):
    bad_sloth = """
        version: "prometheus/v1"
        service: search
        slos:
          - name: a
            objective: 200
            sli:
              events: {error_query: 'x[{{.window}}]', total_query: 'y[{{.window}}]'}
          - name: b
            objective: 99
            sli:
              events: {error_query: 'x[5m]', total_query: 'y[{{.window}}]'}
        """
    load_text(tmp_path, bad_sloth, "a.yaml")
    (tmp_path / "b.yaml").write_text("---\nkind: SLO\n---\napiVersion: nope/v1\n", encoding="utf-8")
    result = load_specs([tmp_path])
    assert {(Path(p.path).name, p.line, p.field) for p in result.problems} == {
        ("a.yaml", 5, "slos[0].objective"),
        ("a.yaml", 11, "slos[1].sli.events.error_query"),
        ("b.yaml", 2, ""),
        ("b.yaml", 4, "apiVersion"),
    }


def test_duplicate_slo_ids_across_files_name_both_files(tmp_path):
    first, _ = load_text(tmp_path, openslo(GOOD_TAIL), "a.yaml")
    second, _ = load_text(tmp_path, openslo(GOOD_TAIL.replace("0.999", "0.99")), "b.yaml")
    result = load_specs([tmp_path])
    problem = the_problem(result, "duplicate SLO id 'checkout/availability'")
    assert problem.path == str(second) and problem.line == 1
    assert f"already defined at {first}:1" in problem.message
    assert [s.objective for s in result.slos] == [0.999]  # the first definition is kept


def test_missing_path_is_an_error(tmp_path):
    result = load_specs([tmp_path / "nope"])
    assert [(p.path, p.message) for p in result.problems] == [(str(tmp_path / "nope"), "no such file or folder")]
    assert not result.ok
