"""Each spec format maps to exactly the domain SLO it describes."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import timedelta
from pathlib import Path

from sloboard.domain import (
    SLO,
    AlertWindow,
    BudgetingMethod,
    BudgetPolicy,
    Indicator,
    IndicatorKind,
    QueryMode,
    Severity,
    SpecSource,
    Window,
)
from sloboard.specs import load_specs
from tests.factories import WORKBOOK_WINDOWS


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_clean(*paths: Path, alert_windows_file: Path | None = None) -> list[SLO]:
    result = load_specs(list(paths), alert_windows_file)
    assert result.problems == [], [str(p) for p in result.problems]
    return result.slos


def without_hash(slo: SLO) -> SLO:
    # The hash is checked on its own below; everything else must match field for field.
    return dataclasses.replace(slo, spec_hash="")


OPENSLO_RATIO = """
    apiVersion: openslo/v1
    kind: SLO
    metadata:
      name: availability
      displayName: Checkout availability
      labels:
        team: storefront
        tier: ["1", gold]
    spec:
      description: Non-5xx share of checkout requests.
      service: checkout
      indicator:
        metadata:
          name: checkout-ok
        spec:
          ratioMetric:
            counter: true
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
      timeWindow:
        - duration: 4w
          isRolling: true
      budgetingMethod: Occurrences
      objectives:
        - target: 0.999
    """


def test_openslo_ratio_maps_field_for_field(tmp_path):
    path = write(tmp_path, "checkout.yaml", OPENSLO_RATIO)
    [slo] = load_clean(path)
    assert without_hash(slo) == SLO(
        id="checkout/availability", service="checkout", name="availability", objective=0.999,
        window=Window(timedelta(days=28)),
        indicator=Indicator(kind=IndicatorKind.RATIO, mode=QueryMode.COUNTER,
                            good='sum(http_requests_total{service="checkout",code!~"5.."})',
                            total='sum(http_requests_total{service="checkout"})'),
        team="storefront", description="Non-5xx share of checkout requests.",
        budgeting=BudgetingMethod.OCCURRENCES, alert_windows=WORKBOOK_WINDOWS, policy=BudgetPolicy(0.0, 0.25),
        labels=(("team", "storefront"), ("tier", "1,gold")),
        source=SpecSource(str(path), 1, "openslo/v1"),
        spec_text=path.read_text(encoding="utf-8"),
    )


def test_openslo_sli_and_datasource_are_found_in_other_files(tmp_path):
    write(tmp_path, "a/source.yaml", """
        apiVersion: openslo/v1
        kind: DataSource
        metadata:
          name: fleet
        spec:
          type: Prometheus
        """)
    write(tmp_path, "b/sli.yml", """
        apiVersion: openslo/v1
        kind: SLI
        metadata:
          name: payments-5xx
        spec:
          ratioMetric:
            bad:
              metricSource:
                metricSourceRef: fleet
                spec:
                  query: sum(http_requests_total{service="payments",code=~"5.."})
            total:
              metricSource:
                metricSourceRef: fleet
                spec:
                  query: sum(http_requests_total{service="payments"})
        """)
    slo_path = write(tmp_path, "c/slo.yaml", """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: availability
          annotations:
            sloboard.dev/team: payments
            sloboard.dev/freeze-below: 5%
            sloboard.dev/warn-below: "0.3"
            sloboard.dev/alert-windows: page 14.4x 1h/5m; ticket 3x 1d/2h
        spec:
          service: payments
          indicatorRef: payments-5xx
          timeWindow:
            - duration: 1Q
              calendar:
                startTime: 2024-01-01 00:00:00
                timeZone: Europe/Berlin
          budgetingMethod: Occurrences
          objectives:
            - targetPercent: 99.95
        """)
    [slo] = load_clean(tmp_path)
    assert slo.indicator == Indicator(
        kind=IndicatorKind.RATIO, mode=QueryMode.COUNTER, data_source="fleet",
        bad='sum(http_requests_total{service="payments",code=~"5.."})',
        total='sum(http_requests_total{service="payments"})')
    assert slo.objective == 0.9995
    assert slo.window == Window(timedelta(days=90), calendar_unit="quarter", timezone="Europe/Berlin")
    assert slo.team == "payments"
    assert slo.policy == BudgetPolicy(freeze_below=0.05, warn_below=0.3)
    assert slo.alert_windows == (
        AlertWindow(Severity.PAGE, timedelta(hours=1), timedelta(minutes=5), 14.4),
        AlertWindow(Severity.TICKET, timedelta(days=1), timedelta(hours=2), 3.0))
    assert slo.source == SpecSource(str(slo_path), 1, "openslo/v1")


def test_openslo_threshold_metric_becomes_bucket_over_count_with_the_bound_as_written(tmp_path):
    path = write(tmp_path, "latency.yaml", """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: latency
        spec:
          service: checkout
          indicator:
            metadata:
              name: checkout-duration
            spec:
              thresholdMetric:
                metricSource:
                  type: Prometheus
                  spec:
                    query: http_request_duration_seconds_bucket{service="checkout",method="POST"}
          budgetingMethod: Timeslices
          objectives:
            - op: lte
              value: 0.30
              target: 0.99
              timeSliceTarget: 0.95
              timeSliceWindow: 5
        """)
    [slo] = load_clean(path)
    # `0.30` is kept as written: Prometheus does not normalise `le` label values.
    assert slo.indicator == Indicator(
        kind=IndicatorKind.LATENCY, mode=QueryMode.COUNTER, latency_threshold_s=0.3,
        good='http_request_duration_seconds_bucket{service="checkout",method="POST",le="0.30"}',
        total='http_request_duration_seconds_count{service="checkout",method="POST"}')
    assert slo.window == Window(timedelta(days=28))  # timeWindow omitted: rolling 28d
    assert (slo.budgeting, slo.timeslice_target, slo.timeslice_window) == (
        BudgetingMethod.TIMESLICES, 0.95, timedelta(minutes=5))  # a bare number counts minutes


def test_openslo_bucket_over_count_ratio_is_a_latency_indicator(tmp_path):
    text = OPENSLO_RATIO.replace(
        'sum(http_requests_total{service="checkout",code!~"5.."})',
        'sum(http_request_duration_seconds_bucket{service="checkout",le="0.5"})').replace(
        'sum(http_requests_total{service="checkout"})', 'sum(http_request_duration_seconds_count{service="checkout"})')
    [slo] = load_clean(write(tmp_path, "latency.yaml", text))
    assert (slo.indicator.kind, slo.indicator.latency_threshold_s) == (IndicatorKind.LATENCY, 0.5)


def test_openslo_window_template_with_spaces_selects_window_mode(tmp_path):
    text = OPENSLO_RATIO.replace('code!~"5.."})', 'code!~"5.."}[{{ .window }}])').replace(
        'sum(http_requests_total{service="checkout"})', 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))')
    [slo] = load_clean(write(tmp_path, "w.yaml", text.replace("sum(http", "sum(rate(http", 1).replace(
        "[{{ .window }}])", "[{{ .window }}]))")))
    assert slo.indicator.mode is QueryMode.WINDOW
    assert slo.indicator.good == 'sum(rate(http_requests_total{service="checkout",code!~"5.."}[{{ .window }}]))'


def test_openslo_objectives_each_make_an_slo(tmp_path):
    text = OPENSLO_RATIO.replace("        - target: 0.999",
                                 "        - displayName: Internal goal\n          target: 0.999\n"
                                 "        - displayName: SLA\n          target: 0.99")
    slos = load_clean(write(tmp_path, "two.yaml", text))
    assert [(s.id, s.objective) for s in slos] == [
        ("checkout/availability-internal-goal", 0.999), ("checkout/availability-sla", 0.99)]
    assert slos[0].spec_hash != slos[1].spec_hash


def test_sloth_maps_field_for_field(tmp_path):
    path = write(tmp_path, "search.yml", """
        version: "prometheus/v1"
        service: "search"
        labels:
          owner: "search-oncall"
          team: "discovery"
        slos:
          - name: "availability"
            objective: 99.5
            description: "Non-5xx share."
            labels:
              tier: "2"
            sli:
              events:
                error_query: sum(rate(http_requests_total{service="search",code=~"5.."}[{{.window}}]))
                total_query: sum(rate(http_requests_total{service="search"}[{{.window}}]))
            alerting:
              name: SearchErrors
              ticket_alert:
                disable: true
        """)
    [slo] = load_clean(path)
    assert without_hash(slo) == SLO(
        id="search/availability", service="search", name="availability", objective=0.995,
        window=Window(timedelta(days=30)),
        indicator=Indicator(kind=IndicatorKind.RATIO, mode=QueryMode.WINDOW,
                            bad='sum(rate(http_requests_total{service="search",code=~"5.."}[{{.window}}]))',
                            total='sum(rate(http_requests_total{service="search"}[{{.window}}]))'),
        team="discovery", description="Non-5xx share.",
        alert_windows=tuple(w for w in WORKBOOK_WINDOWS if w.severity is Severity.PAGE),  # ticket disabled
        labels=(("owner", "search-oncall"), ("team", "discovery"), ("tier", "2")),
        source=SpecSource(str(path), 7, "sloth/prometheus/v1"),
        spec_text=path.read_text(encoding="utf-8"),
    )


def test_pyrra_ratio_maps_field_for_field(tmp_path):
    path = write(tmp_path, "pyrra.yaml", """
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: errors
          namespace: search
          labels:
            pyrra.dev/team: discovery
        spec:
          description: Non-5xx share by handler.
          target: "99.9"
          window: 2w
          indicator:
            ratio:
              errors:
                metric: http_requests_total{service="search",code=~"5.."}
              total:
                metric: http_requests_total{service="search"}
              grouping: [handler]
        """)
    [slo] = load_clean(path)
    assert without_hash(slo) == SLO(
        id="search/errors", service="search", name="errors", objective=0.999,
        window=Window(timedelta(days=14)),
        indicator=Indicator(kind=IndicatorKind.RATIO, mode=QueryMode.COUNTER, group_by=("handler",),
                            bad='http_requests_total{service="search",code=~"5.."}',
                            total='http_requests_total{service="search"}'),
        team="discovery", description="Non-5xx share by handler.", alert_windows=WORKBOOK_WINDOWS,
        labels=(("pyrra.dev/team", "discovery"),),
        source=SpecSource(str(path), 1, "pyrra/v1alpha1"),
        spec_text=path.read_text(encoding="utf-8"),
    )


def test_pyrra_latency_keeps_bucket_and_count_and_the_service_annotation(tmp_path):
    [slo] = load_clean(write(tmp_path, "pyrra.yaml", """
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata:
          name: latency
          namespace: monitoring
          annotations:
            sloboard.dev/service: search
        spec:
          target: "99"
          window: 28d
          alerting:
            burnrates: false
          indicator:
            latency:
              success:
                metric: http_request_duration_seconds_bucket{service="search",le="0.1"}
              total:
                metric: http_request_duration_seconds_count{service="search"}
        """))
    assert slo.id == "search/latency"
    assert slo.indicator == Indicator(
        kind=IndicatorKind.LATENCY, mode=QueryMode.COUNTER, latency_threshold_s=0.1,
        good='http_request_duration_seconds_bucket{service="search",le="0.1"}',
        total='http_request_duration_seconds_count{service="search"}')
    assert slo.alert_windows == ()  # Pyrra's burn-rate alerts are switched off


def test_spec_hash_ignores_layout_and_follows_content(tmp_path):
    [original] = load_clean(write(tmp_path, "a/x.yaml", OPENSLO_RATIO))
    relaid = "# a comment\n" + OPENSLO_RATIO.replace("    - target: 0.999", "    - {target: 0.999}")
    [same] = load_clean(write(tmp_path, "b/x.yaml", relaid))
    [changed] = load_clean(write(tmp_path, "c/x.yaml", OPENSLO_RATIO.replace("0.999", "0.995")))
    assert len(original.spec_hash) == 64
    assert same.spec_hash == original.spec_hash
    assert changed.spec_hash != original.spec_hash


def test_folders_are_searched_recursively_in_sorted_order(tmp_path):
    write(tmp_path, "z.yaml", OPENSLO_RATIO.replace("name: availability", "name: z"))
    write(tmp_path, "a/b/m.yml", OPENSLO_RATIO.replace("name: availability", "name: m"))
    write(tmp_path, "a/c.yaml", OPENSLO_RATIO.replace("name: availability", "name: c"))
    write(tmp_path, ".hidden/h.yaml", "not: a spec\n")
    write(tmp_path, "notes.txt", "ignored\n")
    result = load_specs([tmp_path])
    assert result.problems == []
    assert result.files == [tmp_path / "a/b/m.yml", tmp_path / "a/c.yaml", tmp_path / "z.yaml"]
    assert [s.name for s in result.slos] == ["m", "c", "z"]


def test_openslo_service_and_alert_objects_are_accepted_and_alert_objects_flagged_unused(tmp_path):
    path = write(tmp_path, "others.yaml", """
        apiVersion: openslo/v1
        kind: Service
        metadata:
          name: checkout
        spec:
          description: Order placement.
        ---
        apiVersion: openslo/v1
        kind: AlertPolicy
        metadata:
          name: page-on-burn
        spec:
          alertWhenBreaching: true
          conditions:
            - conditionRef: fast-burn
        """)
    result = load_specs([path])
    assert [(p.line, p.field, p.severity) for p in result.problems] == [(9, "kind", "warning")]
    assert "AlertPolicy objects are not used" in result.problems[0].message
    assert result.ok and result.slos == []
