"""Pyrra ``apiVersion: pyrra.dev/v1alpha1``, ``kind: ServiceLevelObjective``: schema and mapping.

Schema: https://github.com/pyrra-dev/pyrra, ``kubernetes/api/v1alpha1``. Readings:

- ``spec.target`` is a percent in a string (``"99.9"``), or a number (``99``), which
  Pyrra's YAML reader also turns into text; ``spec.window`` a Prometheus duration
  (``28d``, ``2w``). Label and annotation values may be numbers or booleans too.
- Metrics are counters (selectors); Pyrra takes ``increase()`` of them, so they map to
  QueryMode.COUNTER. ``ratio.errors`` is the bad query; ``latency.success`` is the
  ``le`` bucket (good) and ``latency.total`` the ``_count`` series.
- Pyrra has no service field. The service is the annotation ``sloboard.dev/service``;
  else the value of an equality matcher on ``service``, ``job`` or ``app`` (in that
  order) that every query of the indicator shares; else a metadata label
  (``pyrra.dev/service``, ``app.kubernetes.io/name``, ``app``); else, with a warning
  saying how to set it, ``metadata.namespace`` or ``default``.
- Unknown fields are warnings: Kubernetes drops the fields a CRD does not declare
  (``kubectl`` warns), so published files carry some (``spec.latency``).
- The team is ``sloboard.dev/team``, else the label ``pyrra.dev/team``, else ``team``.
- ``alerting.disabled: true`` or ``alerting.burnrates: false`` leave the SLO without
  burn-rate alert windows.
- ``bool_gauge.metric`` (one selector of a 0/1 gauge, like ``probe_success``) is
  IndicatorKind.BOOL_GAUGE, counted as Pyrra counts it: total = the samples
  (``count_over_time``), good = their sum (``sum_over_time``), per step; Occurrences.
- ``latencyNative`` is refused: it reads native histograms, which Prometheus 2.x
  counts with ``histogram_fraction`` only as an estimate interpolated inside a bucket,
  and sloboard stores exact good/total counts per step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..domain import SLO, Indicator, IndicatorKind, QueryMode, Window, parse_duration
from ..window_template import uses_window
from .base import Duration, MappingContext, SpecModel
from .building import Where, check_id_part, check_slo, fingerprint, is_id_part, percent_to_fraction, source
from .extension import read_extension
from .promql import latency_threshold, parse_selector
from .kubernetes import IGNORED, KubernetesObject
from .scalars import Text
from .yaml_source import Loc

FORMAT = "pyrra/v1alpha1"
API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
DEFAULT_SERVICE = "default"
# Where a Pyrra file names its service, best first (the annotation comes before all).
SERVICE_MATCHERS = ("service", "job", "app")
SERVICE_LABELS = ("pyrra.dev/service", "app.kubernetes.io/name", "app")


class _Pyrra(SpecModel):
    UNKNOWN_FIELDS = IGNORED


class Query(_Pyrra):
    metric: str


class Ratio(_Pyrra):
    errors: Query
    total: Query
    grouping: list[str] | None = None


class Latency(_Pyrra):
    success: Query
    total: Query
    grouping: list[str] | None = None


class LatencyNative(_Pyrra):
    total: Query
    latency: str
    grouping: list[str] | None = None


class BoolGauge(_Pyrra):
    metric: str
    grouping: list[str] | None = None


class PyrraIndicator(_Pyrra):
    ratio: Ratio | None = None
    latency: Latency | None = None
    latency_native: LatencyNative | None = Field(None, alias="latencyNative")
    bool_gauge: BoolGauge | None = None


class Alerting(_Pyrra):
    disabled: bool | None = None
    burnrates: bool | None = None
    absent: bool | None = None
    name: str | None = None
    absent_name: str | None = Field(None, alias="absentName")


class PyrraSpec(_Pyrra):
    description: Text = ""
    target: Text
    window: Duration
    indicator: PyrraIndicator
    alerting: Alerting = Alerting()
    partial_response_strategy: Literal["abort", "warn", ""] | None = None

    @field_validator("target")
    @classmethod
    def _percent(cls, value: str) -> str:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"target is a percent, like \"99.9\"; got {value!r}") from None
        if not 0 < number < 100:
            raise ValueError(f"target is a percent between 0 and 100, exclusive; got {value!r}")
        return value


class ServiceLevelObjective(KubernetesObject):
    api_version: Literal["pyrra.dev/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["ServiceLevelObjective"]
    spec: PyrraSpec

    def to_domain(self, ctx: MappingContext) -> list[SLO]:
        """The one SLO this object defines (an empty list when it has errors)."""
        mark = ctx.checkpoint()
        meta, spec = self.metadata, self.spec
        extension = read_extension(meta.annotations, ctx, ("metadata", "annotations"), allow_service=True)
        check_id_part(ctx, ("metadata", "name"), meta.name, "name")
        indicator, where = self._indicator(ctx)
        service, service_loc = self._service(ctx, extension.service, indicator)
        check_id_part(ctx, service_loc, service, "service")
        if ctx.failed_since(mark) or indicator is None:
            return []
        target = float(spec.target)
        if target < 1:
            ctx.warn(("spec", "target"), f"target is 0-100, {spec.target} means {spec.target} %; "
                     f"did you mean \"{target * 100:g}\"?")
        alerts_off = spec.alerting.disabled is True or spec.alerting.burnrates is False
        slo = SLO(
            id=f"{service}/{meta.name}", service=service, name=meta.name, objective=percent_to_fraction(spec.target),
            window=Window(parse_duration(spec.window)), indicator=indicator,
            team=extension.team or meta.labels.get("pyrra.dev/team") or meta.labels.get("team", ""),
            description=spec.description,
            alert_windows=() if alerts_off else (extension.alert_windows or ctx.default_windows),
            policy=extension.policy, labels=tuple(sorted(meta.labels.items())),
            source=source(ctx, FORMAT), spec_hash=fingerprint(ctx.doc.data), spec_text=ctx.doc.text,
        )
        check_slo(ctx, slo, Where(service_loc, ("metadata", "name"), ("spec", "window"), *where))
        return [slo]

    def _service(self, ctx: MappingContext, annotated: str | None,
                 indicator: Indicator | None) -> tuple[str, Loc]:
        """The service and where it was named; see the module docstring for the order."""
        meta = self.metadata
        if annotated:
            return annotated, ("metadata", "annotations", "sloboard.dev/service")
        queries = [q for q in (indicator.good, indicator.bad, indicator.total) if q] if indicator else []
        selectors = [parse_selector(q) for q in queries]
        for label in SERVICE_MATCHERS:
            found = [sel.matcher(label) if sel else None for sel in selectors]
            values = {m.value for m in found if m is not None and m.op == "="}
            if found and all(m is not None and m.op == "=" for m in found) and len(values) == 1:
                value = values.pop()
                if is_id_part(value):
                    return value, ("spec", "indicator")
        for label in SERVICE_LABELS:
            if is_id_part(meta.labels.get(label, "")):
                return meta.labels[label], ("metadata", "labels", label)
        fallback = meta.namespace or DEFAULT_SERVICE
        if indicator is not None:  # else the SLO is refused anyway; one problem is enough
            ctx.warn(("metadata", "namespace") if meta.namespace else ("metadata",),
                     f"no service named, so the {'namespace' if meta.namespace else 'default'} {fallback!r} "
                     "is taken as the service: Pyrra has no service field, and the queries share no "
                     f"equality matcher on {', '.join(SERVICE_MATCHERS)}; set the annotation "
                     "sloboard.dev/service: <name>")
        return fallback, ("metadata", "namespace")

    def _indicator(self, ctx: MappingContext) -> tuple[Indicator | None, tuple]:
        indicator, loc = self.spec.indicator, ("spec", "indicator")
        given = [n for n, v in (("ratio", indicator.ratio), ("latency", indicator.latency),
                                ("latencyNative", indicator.latency_native),
                                ("bool_gauge", indicator.bool_gauge)) if v is not None]
        if len(given) != 1:
            ctx.error(loc, "give exactly one of ratio, latency, latencyNative or bool_gauge"
                      + (f"; got {', '.join(given)}" if given else ""))
            return None, ()
        if indicator.ratio is not None:
            ratio, at = indicator.ratio, loc + ("ratio",)
            self._counters(ctx, at, ("errors", ratio.errors.metric), ("total", ratio.total.metric))
            return Indicator(kind=IndicatorKind.RATIO, bad=ratio.errors.metric.strip(),
                             total=ratio.total.metric.strip(), mode=QueryMode.COUNTER,
                             group_by=tuple(ratio.grouping or ())), \
                (at + ("errors", "metric"), at + ("total", "metric"))
        if indicator.latency is not None:
            latency, at = indicator.latency, loc + ("latency",)
            self._counters(ctx, at, ("success", latency.success.metric), ("total", latency.total.metric))
            threshold = latency_threshold(latency.success.metric, latency.total.metric)
            if threshold is None:
                ctx.error(at + ("success", "metric"), "latency.success must be one histogram bucket "
                          'with an le matcher (x_bucket{le="0.1"}) and latency.total its x_count series')
                return None, ()
            return Indicator(kind=IndicatorKind.LATENCY, good=latency.success.metric.strip(),
                             total=latency.total.metric.strip(), mode=QueryMode.COUNTER,
                             group_by=tuple(latency.grouping or ()), latency_threshold_s=threshold), \
                (at + ("success", "metric"), at + ("total", "metric"))
        if indicator.bool_gauge is not None:
            gauge, at = indicator.bool_gauge, loc + ("bool_gauge", "metric")
            if uses_window(gauge.metric) or parse_selector(gauge.metric) is None:
                ctx.error(at, "a bool_gauge metric is one selector of a 0/1 gauge, like "
                          'probe_success{job="blackbox"}; sloboard counts its samples per step, as Pyrra does')
                return None, ()
            metric = gauge.metric.strip()
            return Indicator(kind=IndicatorKind.BOOL_GAUGE, good=metric, total=metric,
                             group_by=tuple(gauge.grouping or ())), (at, at)
        ctx.error(loc + (given[0],), f"{given[0]} indicators are not supported by sloboard: native "
                  "histograms give the share below a latency only as an estimate inside a bucket, not "
                  "the exact counts sloboard stores; use latency with the _bucket and _count series")
        return None, ()

    @staticmethod
    def _counters(ctx: MappingContext, loc: tuple, *queries: tuple[str, str]) -> None:
        # Pyrra wraps each metric in increase(); it must be a plain selector, as Pyrra checks.
        for name, query in queries:
            if uses_window(query) or parse_selector(query) is None:
                ctx.error(loc + (name, "metric"), "a Pyrra metric is one selector, like "
                          'http_requests_total{service="search"}; Pyrra adds increase() itself')
