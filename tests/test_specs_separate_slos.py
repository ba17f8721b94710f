"""A Sloth file's SLOs are separate: a problem in one hides neither the others' problems nor
the others themselves."""

from __future__ import annotations

import textwrap

from sloboard.specs import load_specs

SLOTH = """
version: "prometheus/v1"
service: "search"
slos:
  - name: "availability"
    objective: "high"
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="search",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="search"}[{{.window}}]))
  - name: "wifi"
    objective: 99
    sli:
      plugin:
        id: "sloth-common/fake"
  - name: "latency"
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{service="search",le="+Inf"}[{{.window}}])) - sum(rate(http_request_duration_seconds_bucket{service="search",le="0.1"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{service="search"}[{{.window}}]))
"""

KUBERNETES = """
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: search
spec:
  service: "search"
  slos:
    - name: "availability"
      objective: "high"
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{service="search",code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{service="search"}[{{.window}}]))
    - name: "wifi"
      objective: 99
      sli:
        plugin:
          id: "sloth-common/fake"
"""


def _load(tmp_path, text):
    path = tmp_path / "search.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load_specs([path])


def test_a_wrong_type_in_one_slo_hides_neither_another_slos_problem_nor_a_good_slo(tmp_path):
    result = _load(tmp_path, SLOTH)
    errors = [(p.line, p.field, p.severity) for p in result.problems]
    assert (5, "slos[0].objective", "error") in errors
    assert (13, "slos[1].sli.plugin", "error") in errors
    assert [slo.id for slo in result.slos] == ["search/latency"]
    (latency,) = result.slos
    assert latency.source.line == 15


def test_the_kubernetes_form_reports_each_slo_at_its_own_line(tmp_path):
    result = _load(tmp_path, KUBERNETES)
    errors = [(p.line, p.field) for p in result.problems if p.severity == "error"]
    assert errors == [(9, "spec.slos[0].objective"), (17, "spec.slos[1].sli.plugin")]
    assert result.slos == []
