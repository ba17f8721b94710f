"""OpenSLO ``apiVersion: openslo/v1alpha``, the version Sloth reads: schema, and a mapping through v1.

Schema: https://github.com/OpenSLO/oslo, ``pkg/manifest/v1alpha``; Sloth's loader:
``internal/storage/io/openslo.go``. Each v1alpha objective carries its own
``ratioMetrics``, so each objective is rewritten as a one-objective ``openslo/v1`` SLO
and mapped by ``openslo.SLOObject``, with every problem pointed back at the v1alpha
field it comes from. Readings:

- ``timeWindows: [{count: 30, unit: Day}]`` is v1's ``timeWindow: [{duration: 30d}]``
  (Week ``w``, Month ``M``, Quarter ``Q``; ``isRolling`` and ``calendar`` as in v1).
  Without ``timeWindows``: 30 days, Sloth's default period. ``unit: Second`` has no
  v1 form and is refused.
- ``ratioMetrics.good``/``total`` ``{source, queryType, query}`` are v1
  ``metricSource: {type: <source>, spec: {query}}``; ``source: sloth`` is Prometheus,
  and ``queryType`` must be ``promql``. ``spec.indicator.thresholdMetric`` is v1's
  ``thresholdMetric``, one SLO per objective.
- ``budgetingMethod`` omitted (as in Sloth's examples) is Occurrences. ``Timeslices``
  is refused: v1alpha has no slice length, which v1 needs as ``timeSliceWindow``.
- Several objectives are several SLOs, named as in v1: ``<name>-<displayName>``, or
  ``<name>-<index>`` when the objective has no displayName.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Literal

from pydantic import Field, ValidationError

from ..domain import SLO
from . import openslo
from .base import MappingContext, SpecModel
from .messages import message_for
from .scalars import Text
from .yaml_source import Document, Loc

FORMAT = "openslo/v1alpha"
API_VERSION = "openslo/v1alpha"
DEFAULT_WINDOW = {"duration": "30d", "isRolling": True}  # Sloth's default SLO period
_UNITS = {"Day": "d", "Week": "w", "Month": "M", "Quarter": "Q"}
_PROMQL_ALIASES = {"sloth": "Prometheus"}  # Sloth accepts source: sloth for its own queries


class MetricSourceSpec(SpecModel):
    source: str
    query_type: str = Field(alias="queryType")
    query: str


class RatioMetrics(SpecModel):
    good: MetricSourceSpec
    total: MetricSourceSpec
    counter: bool | None = None


class Indicator(SpecModel):
    threshold_metric: MetricSourceSpec = Field(alias="thresholdMetric")


class Objective(SpecModel):
    display_name: str | None = Field(None, alias="displayName")
    value: float | None = None
    ratio_metrics: RatioMetrics | None = Field(None, alias="ratioMetrics")
    target: float
    time_slice_target: float | None = Field(None, alias="timeSliceTarget")
    op: Literal["lte", "gte", "lt", "gt"] | None = None


class TimeWindow(SpecModel):
    unit: Literal["Second", "Quarter", "Month", "Week", "Day"]
    count: int = Field(gt=0)
    is_rolling: bool | None = Field(None, alias="isRolling")
    calendar: openslo.Calendar | None = None


class SLOSpec(SpecModel):
    time_windows: list[TimeWindow] | None = Field(None, alias="timeWindows")
    budgeting_method: Literal["Occurrences", "Timeslices"] | None = Field(None, alias="budgetingMethod")
    description: openslo.Description | None = None
    indicator: Indicator | None = None
    service: Text
    objectives: list[Objective] = Field(min_length=1)


class Metadata(SpecModel):
    name: Text
    display_name: str | None = Field(None, alias="displayName")


class _Object(SpecModel):
    api_version: Literal["openslo/v1alpha"] = Field(alias="apiVersion")
    metadata: Metadata


class ServiceObject(_Object):
    kind: Literal["Service"]
    spec: openslo.ServiceSpec = openslo.ServiceSpec()


class SLOObject(_Object):
    kind: Literal["SLO"]
    spec: SLOSpec

    def to_domain(self, ctx: openslo.OpenSLOContext) -> list[SLO]:
        """One SLO per objective, each mapped as the openslo/v1 SLO it stands for."""
        mark = ctx.checkpoint()
        spec = self.spec
        if spec.budgeting_method == "Timeslices":
            ctx.error(("spec", "budgetingMethod"), "openslo/v1alpha gives no time slice length, so "
                      "Timeslices cannot be read: write the SLO as openslo/v1 with objectives[].timeSliceWindow "
                      "(and timeSliceTarget), or use budgetingMethod: Occurrences")
        windows = [self._window(ctx, j, w) for j, w in enumerate(spec.time_windows or [])]
        self._check_metrics(ctx)
        if ctx.failed_since(mark):
            return []
        slos = []
        for i, objective in enumerate(spec.objectives):
            data = self._as_v1(i, objective, windows or [DEFAULT_WINDOW])
            threshold = objective.ratio_metrics is None
            sub = dataclasses.replace(ctx, doc=Document(ctx.doc.path, ctx.doc.node, data, ctx.doc.text),
                                      translate=partial(_to_v1alpha, i, threshold))
            try:
                v1 = openslo.SLOObject.model_validate(data)
            except ValidationError as exc:
                for error in exc.errors():
                    sub.error(tuple(error["loc"]), message_for(error, openslo.SLOObject))
                continue
            slos.extend(dataclasses.replace(slo, source=dataclasses.replace(slo.source, format=FORMAT))
                        for slo in v1.to_domain(sub) if slo.source is not None)
        return slos

    @staticmethod
    def _window(ctx: MappingContext, index: int, window: TimeWindow) -> dict[str, Any]:
        if window.unit == "Second":
            ctx.error(("spec", "timeWindows", index, "unit"), "openslo/v1 has no windows in seconds "
                      "(timeWindow[].duration takes m, h, d, w, M or Q): use unit: Day, Week, Month or Quarter")
        item: dict[str, Any] = {"duration": f"{window.count}{_UNITS.get(window.unit, 's')}"}
        if window.is_rolling is not None:
            item["isRolling"] = window.is_rolling
        if window.calendar is not None:
            item["calendar"] = window.calendar.model_dump(by_alias=True)
        return item

    def _check_metrics(self, ctx: MappingContext) -> None:
        """Each objective has one indicator, and every query is PromQL."""
        threshold = self.spec.indicator.threshold_metric if self.spec.indicator else None
        metrics = [(("spec", "indicator", "thresholdMetric"), threshold)] if threshold else []
        for i, objective in enumerate(self.spec.objectives):
            loc = ("spec", "objectives", i)
            if objective.ratio_metrics is not None and threshold is not None:
                ctx.error(loc + ("ratioMetrics",), "give ratioMetrics in the objectives or "
                          "spec.indicator.thresholdMetric, not both")
            elif objective.ratio_metrics is None and threshold is None:
                ctx.error(loc, "required field is missing: ratioMetrics (or spec.indicator.thresholdMetric)")
            if objective.ratio_metrics is not None:
                metrics += [(loc + ("ratioMetrics", "good"), objective.ratio_metrics.good),
                            (loc + ("ratioMetrics", "total"), objective.ratio_metrics.total)]
        for where, metric in metrics:
            if metric.query_type.lower() != "promql":
                ctx.error(where + ("queryType",), f"queryType {metric.query_type!r} is not read: "
                          "sloboard reads PromQL (queryType: promql)")

    def _as_v1(self, i: int, objective: Objective, windows: list[dict[str, Any]]) -> dict[str, Any]:
        """The openslo/v1 SLO that objective ``i`` stands for."""
        spec = self.spec
        name = openslo.objective_name(self.metadata.name, objective.display_name, i, len(spec.objectives))
        if objective.ratio_metrics is not None:
            ratio = objective.ratio_metrics
            sli: dict[str, Any] = {"ratioMetric": {"good": _metric(ratio.good), "total": _metric(ratio.total)}}
            if ratio.counter is not None:
                sli["ratioMetric"]["counter"] = ratio.counter
        else:
            assert spec.indicator is not None  # _check_metrics refused the SLO otherwise
            sli = {"thresholdMetric": _metric(spec.indicator.threshold_metric)}
        target = objective.model_dump(by_alias=True, exclude_none=True, exclude={"ratio_metrics"})
        v1_spec: dict[str, Any] = {
            "service": spec.service, "budgetingMethod": spec.budgeting_method or "Occurrences",
            "timeWindow": windows, "objectives": [target],
            "indicator": {"metadata": {"name": name}, "spec": sli},
        }
        if spec.description is not None:
            v1_spec["description"] = spec.description
        metadata = {"name": name}
        if self.metadata.display_name:
            metadata["displayName"] = self.metadata.display_name
        return {"apiVersion": openslo.API_VERSION, "kind": "SLO", "metadata": metadata, "spec": v1_spec}


def _metric(metric: MetricSourceSpec) -> dict[str, Any]:
    source = _PROMQL_ALIASES.get(metric.source.lower(), metric.source)
    return {"metricSource": {"type": source, "spec": {"query": metric.query}}}


def _to_v1alpha(i: int, threshold: bool, loc: Loc) -> Loc:
    """Where the value at v1 path ``loc`` of objective ``i``'s rewritten SLO stands in the v1alpha file."""
    if loc[:2] == ("spec", "timeWindow"):
        rest = loc[2:]
        return ("spec", "timeWindows") + (rest[:1] if rest[1:2] == ("duration",) else rest)
    if loc[:3] == ("spec", "objectives", 0):
        return ("spec", "objectives", i) + loc[3:]
    if loc[:2] == ("spec", "indicator"):
        rest = loc[4:] if len(loc) > 3 and loc[3] in ("ratioMetric", "thresholdMetric") else ()
        head = ("spec", "indicator", "thresholdMetric") if threshold else ("spec", "objectives", i, "ratioMetrics")
        if "metricSource" not in rest:
            return head + rest
        k = rest.index("metricSource")
        tail = rest[k + 1:]
        field = ("source",) if tail[:1] == ("type",) else ("query",) if tail[:2] == ("spec", "query") else ()
        return head + rest[:k] + field
    return loc


KINDS: dict[str, type[SpecModel]] = {"SLO": SLOObject, "Service": ServiceObject}
