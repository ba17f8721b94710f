"""OpenSLO v1 (``apiVersion: openslo/v1``): the schema, and its one mapping into the domain.

Schema: https://github.com/OpenSLO/OpenSLO (README, "Object Types"). sloboard reads the
kinds SLO, SLI, DataSource and Service; AlertPolicy, AlertCondition and
AlertNotificationTarget are accepted and reported as unused (sloboard alerts on
burn-rate windows, see ``alert_windows.py``).

Readings that the standard leaves to implementations:

- ``timeWindow`` omitted: a rolling 28d window. Calendar windows are ``1w``, ``1M`` or
  ``1Q`` with ``calendar.timeZone``; rolling ones use m, h, d or w.
- Several ``objectives`` make several SLOs, named ``<name>-<objective displayName>``.
- ``thresholdMetric`` is read as a Prometheus histogram: the selector of the histogram
  with objective ``op: lt|lte`` and ``value`` in its unit (seconds) becomes good =
  the ``_bucket{le="<value>"}`` series, total = the ``_count`` series.
- ``ratioMetric.raw`` (a precomputed 0-1 ratio, ``rawType: success`` for good/total or
  ``failure`` for bad/total) is IndicatorKind.RAW_RATIO: one time slice per step, whose
  ratio is the query's value at the step end. Occurrences then counts each step as one
  event (the mean of the ratios, as RatioTimeslices over one-step slices); Timeslices
  judges each ``timeSliceWindow`` by the mean of its steps' ratios against
  ``timeSliceTarget``. ``counter`` has no effect, as OpenSLO says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from ..domain import SLO, BudgetingMethod, Indicator, IndicatorKind, QueryMode, Window, parse_duration
from ..window_template import uses_window
from .base import Duration, MappingContext, Reporter, SpecModel
from .building import Where, check_id_part, check_slo, fingerprint, percent_to_fraction, source
from .extension import read_extension
from .messages import unknown_name_message
from .promql import histogram_series, latency_threshold, parse_selector
from .scalars import Text, TextMap, as_text
from .yaml_source import Document, Loc

FORMAT = "openslo/v1"
API_VERSION = "openslo/v1"
DEFAULT_WINDOW = "28d"
# Sources that answer PromQL; sloboard sends every query to its configured Prometheus API.
PROMQL_SOURCES = ("prometheus", "thanos", "mimir", "cortex", "victoriametrics")
_SHORTHAND_RE = re.compile(r"(\d+)([mhdwMQY])")
_CALENDAR_UNITS = {("1", "w"): ("week", 7), ("1", "M"): ("month", 30), ("1", "Q"): ("quarter", 90),
                   ("3", "M"): ("quarter", 90)}


def _label_values(value: Any) -> Any:
    """OpenSLO label values are a string or a list of strings; keep them all as lists.

    A number or boolean is read as its text (``true``, ``90``), as OpenSLO's Go tools do.
    """
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return [as_text(value)] if value is not None else value


def _minutes_if_number(value: Any) -> Any:
    """OpenSLO: a bare number in timeSliceWindow counts minutes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{int(value)}m"
    return value


def _check_shorthand(value: str) -> str:
    if not _SHORTHAND_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a duration; write a whole number and one of "
                         "m h d w M Q Y, like 28d, 4w or 1M")
    return value


Labels = dict[str, Annotated[list[str], BeforeValidator(_label_values)]]
Description = Annotated[str, Field(max_length=1050)]


class Metadata(SpecModel):
    name: str
    display_name: str | None = Field(None, alias="displayName")
    labels: Labels = {}
    annotations: TextMap = {}


class MetricSource(SpecModel):
    metric_source_ref: str | None = Field(None, alias="metricSourceRef")
    type: str | None = None
    spec: dict[str, Any] = {}


class MetricSpec(SpecModel):
    metric_source: MetricSource = Field(alias="metricSource")


class RatioMetric(SpecModel):
    counter: bool | None = None
    good: MetricSpec | None = None
    bad: MetricSpec | None = None
    total: MetricSpec | None = None
    raw_type: Literal["success", "failure"] | None = Field(None, alias="rawType")
    raw: MetricSpec | None = None


class SLISpec(SpecModel):
    description: Description | None = None
    threshold_metric: MetricSpec | None = Field(None, alias="thresholdMetric")
    ratio_metric: RatioMetric | None = Field(None, alias="ratioMetric")


class InlineSLI(SpecModel):
    metadata: Metadata
    spec: SLISpec


class Calendar(SpecModel):
    start_time: Text = Field(alias="startTime")  # YAML reads 2022-01-01 12:00:00 as a timestamp
    time_zone: str = Field(alias="timeZone")

    @field_validator("start_time")
    @classmethod
    def _date_time(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time; write it like 2024-01-01 00:00:00") from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Berlin or UTC") from None
        return value


class TimeWindow(SpecModel):
    duration: Annotated[str, AfterValidator(_check_shorthand)]
    is_rolling: bool | None = Field(None, alias="isRolling")
    calendar: Calendar | None = None

    def to_window(self) -> tuple[Window, str | None]:
        """The window and a warning about it, if any; raises ValueError naming what is wrong."""
        count, unit = _SHORTHAND_RE.fullmatch(self.duration).groups()  # type: ignore[union-attr]
        rolling = self.is_rolling if self.is_rolling is not None else self.calendar is None
        if not rolling:
            if self.calendar is None:
                raise ValueError("a window with isRolling: false needs calendar: {startTime, timeZone}")
            if unit == "m":  # the spec allows it, but it is far more often a month mistyped
                return Window(parse_duration(self.duration)), (
                    f"{self.duration!r} is {count} minute(s); did you mean {count}M (month)? sloboard has no "
                    f"calendar windows shorter than a week, so it reads this as a rolling {self.duration} window")
            if (count, unit) not in _CALENDAR_UNITS:
                raise ValueError(f"calendar windows are 1w, 1M or 1Q; got {self.duration!r}")
            name, days = _CALENDAR_UNITS[(count, unit)]
            return Window(timedelta(days=days), calendar_unit=name, timezone=self.calendar.time_zone), None
        if unit in "MQY":
            raise ValueError(f"a rolling window needs a fixed length; {self.duration!r} is a calendar "
                             "unit: use days (30d) or set isRolling: false with a calendar")
        return Window(parse_duration(self.duration)), None


class Objective(SpecModel):
    display_name: str | None = Field(None, alias="displayName")
    op: Literal["lte", "gte", "lt", "gt"] | None = None
    value: float | None = None
    target: float | None = None
    target_percent: float | None = Field(None, alias="targetPercent")
    time_slice_target: float | None = Field(None, alias="timeSliceTarget")
    time_slice_window: Annotated[Duration, BeforeValidator(_minutes_if_number)] | None = Field(
        None, alias="timeSliceWindow")

    @field_validator("target")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if 0 < value < 1:
            return value
        if 50 <= value < 100:
            raise ValueError(f"target is a fraction between 0 and 1 (0.999 means 99.9 %); {value:g} looks "
                             f"like a percent: write target: {value / 100:g} or targetPercent: {value:g}")
        raise ValueError(f"target must be between 0 and 1, exclusive; got {value:g}")

    @field_validator("target_percent")
    @classmethod
    def _percent(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError(f"targetPercent must be between 0 and 100, exclusive; got {value:g}")
        return value

    @field_validator("time_slice_target")
    @classmethod
    def _slice_fraction(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError(f"timeSliceTarget is a fraction in (0, 1]; got {value:g}")
        return value


class SLOSpec(SpecModel):
    description: Description | None = None
    service: str
    indicator: InlineSLI | None = None
    indicator_ref: str | None = Field(None, alias="indicatorRef")
    time_window: list[TimeWindow] | None = Field(None, alias="timeWindow")
    budgeting_method: BudgetingMethod = Field(alias="budgetingMethod")
    objectives: list[Objective] = Field(min_length=1)
    alert_policies: list[Any] | None = Field(None, alias="alertPolicies")


class _Object(SpecModel):
    api_version: Literal["openslo/v1"] = Field(alias="apiVersion")
    metadata: Metadata


class DataSourceSpec(SpecModel):
    description: Description | None = None
    type: str
    connection_details: dict[str, Any] | None = Field(None, alias="connectionDetails")


class DataSourceObject(_Object):
    kind: Literal["DataSource"]
    spec: DataSourceSpec


class SLIObject(_Object):
    kind: Literal["SLI"]
    spec: SLISpec


class ServiceSpec(SpecModel):
    description: Description | None = None


class ServiceObject(_Object):
    kind: Literal["Service"]
    spec: ServiceSpec = ServiceSpec()


class UnusedObject(_Object):
    """AlertPolicy, AlertCondition, AlertNotificationTarget: checked for shape, not used."""

    kind: Literal["AlertPolicy", "AlertCondition", "AlertNotificationTarget"]
    spec: dict[str, Any]


@dataclass
class Registry:
    """The OpenSLO objects of one load that SLOs refer to by name."""

    slis: dict[str, tuple[SLIObject, Document]] = field(default_factory=dict)
    datasources: dict[str, tuple[DataSourceObject, Document]] = field(default_factory=dict)

    @classmethod
    def of(cls, parsed: list[tuple[SpecModel, Document]], reporter: Reporter) -> Registry:
        """The SLIs and DataSources among ``parsed`` (every format's objects of one load);
        a name defined twice is reported and the first definition kept."""
        registry = cls()
        for obj, doc in parsed:
            table: dict | None = None
            if isinstance(obj, SLIObject):
                table = registry.slis
            elif isinstance(obj, DataSourceObject):
                table = registry.datasources
            if table is None:
                continue
            name = obj.metadata.name
            if name in table:
                first = table[name][1]
                reporter.add(doc, ("metadata", "name"),
                             f"duplicate {obj.kind} name {name!r}: already defined at {first.path}:{first.line}")
                continue
            table[name] = (obj, doc)
        return registry


@dataclass
class OpenSLOContext(MappingContext):
    """The mapping context of OpenSLO objects: the format-neutral one and the registry of
    the whole load, so an ``indicatorRef`` or ``metricSourceRef`` can point into another file."""

    registry: Registry = field(default_factory=Registry)

    @classmethod
    def extending(cls, ctx: MappingContext, registry: Registry) -> OpenSLOContext:
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(MappingContext)}, registry=registry)


@dataclass(frozen=True)
class _ResolvedSLI:
    spec: SLISpec
    ctx: OpenSLOContext  # reports against the document that holds the SLI
    prefix: Loc  # where the SLI spec sits in that document
    ref_data: Any  # the referenced SLI document, part of the SLO's fingerprint


class SLOObject(_Object):
    kind: Literal["SLO"]
    spec: SLOSpec

    def to_domain(self, ctx: OpenSLOContext) -> list[SLO]:
        """One SLO per objective; problems go to ``ctx`` and leave that SLO out."""
        start = ctx.checkpoint()
        spec = self.spec
        check_id_part(ctx, ("spec", "service"), spec.service, "service")
        check_id_part(ctx, ("metadata", "name"), self.metadata.name, "name")
        extension = read_extension(self.metadata.annotations, ctx, ("metadata", "annotations"))
        window = self._window(ctx)
        sli = self._resolve_sli(ctx)
        if spec.alert_policies:
            ctx.warn(("spec", "alertPolicies"), "alert policies are not used: sloboard alerts on "
                     "burn-rate windows (annotation sloboard.dev/alert-windows)")
        shared = None
        if sli is not None and sli.spec.threshold_metric is None:
            shared = self._ratio_indicator(sli)
        if sli is not None and sli.spec.threshold_metric is not None and len(spec.objectives) > 1:
            ctx.error(("spec", "objectives"), "a thresholdMetric SLO takes exactly one objective")
        if ctx.failed_since(start) or sli is None or window is None:
            return []
        labels = tuple(sorted((k, ",".join(v)) for k, v in self.metadata.labels.items()))
        team = extension.team or (self.metadata.labels.get("team") or [""])[0]
        slos = []
        for i, objective in enumerate(spec.objectives):
            mark = ctx.checkpoint()
            loc = ("spec", "objectives", i)
            target = self._objective(ctx, objective, loc)
            indicator = shared or self._threshold_indicator(ctx, sli, objective, loc)
            self._check_timeslices(ctx, objective, loc)
            if ctx.failed_since(mark) or target is None or indicator is None:
                continue
            name = objective_name(self.metadata.name, objective.display_name, i, len(spec.objectives))
            slo = SLO(
                id=f"{spec.service}/{name}", service=spec.service, name=name, objective=target,
                window=window, indicator=indicator, team=team,
                description=spec.description or self.metadata.display_name or "",
                budgeting=spec.budgeting_method, timeslice_target=objective.time_slice_target,
                timeslice_window=(parse_duration(objective.time_slice_window)
                                  if objective.time_slice_window else None),
                alert_windows=extension.alert_windows or ctx.default_windows,
                policy=extension.policy, labels=labels, source=source(ctx, FORMAT),
                spec_hash=fingerprint(ctx.doc.data, sli.ref_data, i),
                spec_text=ctx.doc.text,
            )
            metric = "thresholdMetric" if sli.spec.threshold_metric else "ratioMetric"
            raw = indicator.kind is IndicatorKind.RAW_RATIO
            numerator = "raw" if raw else "bad" if indicator.bad is not None else "good"
            query_locs = Where(("spec", "service"), ("metadata", "name"), ("spec", "timeWindow"),
                               sli.prefix + (metric, numerator), sli.prefix + (metric, "raw" if raw else "total"))
            check_slo(ctx, slo, query_locs, query_ctx=sli.ctx)
            slos.append(slo)
        return slos

    def _window(self, ctx: OpenSLOContext) -> Window | None:
        windows = self.spec.time_window
        if windows is None:
            return Window(parse_duration(DEFAULT_WINDOW))
        if len(windows) != 1:
            ctx.error(("spec", "timeWindow"), f"timeWindow takes exactly one item, got {len(windows)}")
            return None
        try:
            window, warning = windows[0].to_window()
        except ValueError as exc:
            ctx.error(("spec", "timeWindow", 0, "duration"), str(exc))
            return None
        if warning:
            ctx.warn(("spec", "timeWindow", 0, "duration"), warning)
        return window

    def _resolve_sli(self, ctx: OpenSLOContext) -> _ResolvedSLI | None:
        spec = self.spec
        if spec.indicator is not None and spec.indicator_ref is not None:
            ctx.error(("spec", "indicatorRef"), "give indicator or indicatorRef, not both")
            return None
        if spec.indicator is not None:
            return _ResolvedSLI(spec.indicator.spec, ctx, ("spec", "indicator", "spec"), None)
        if spec.indicator_ref is None:
            ctx.error(("spec", "indicator"), "required field is missing: give indicator or indicatorRef")
            return None
        known = ctx.registry.slis
        if spec.indicator_ref not in known:
            ctx.error(("spec", "indicatorRef"), unknown_name_message(
                "SLI (no kind: SLI with this metadata.name in the loaded files)", spec.indicator_ref, known))
            return None
        sli, doc = known[spec.indicator_ref]
        return _ResolvedSLI(sli.spec, ctx.for_document(doc), ("spec",), doc.data)

    def _ratio_indicator(self, sli: _ResolvedSLI) -> Indicator | None:
        ctx, loc = sli.ctx, sli.prefix + ("ratioMetric",)
        ratio = sli.spec.ratio_metric
        if ratio is None:
            ctx.error(sli.prefix, "the SLI needs ratioMetric or thresholdMetric")
            return None
        if ratio.raw is not None or ratio.raw_type is not None:
            return _raw_indicator(ctx, ratio, loc)
        if ratio.good is not None and ratio.bad is not None:
            ctx.error(loc + ("bad",), "give good or bad, not both")
            return None
        if ratio.good is None and ratio.bad is None:
            ctx.error(loc + ("good",), "required field is missing: give good or bad")
            return None
        if ratio.total is None:
            ctx.error(loc + ("total",), "required field is missing")
            return None
        numerator_name = "good" if ratio.good is not None else "bad"
        numerator = _query(ctx, ratio.good or ratio.bad, loc + (numerator_name,))  # type: ignore[arg-type]
        total = _query(ctx, ratio.total, loc + ("total",))
        if numerator is None or total is None:
            return None
        if uses_window(numerator[0]) != uses_window(total[0]):
            ctx.error(loc + (numerator_name,), "use {{.window}} in both the "
                      f"{numerator_name} and the total query, or in neither")
            return None
        mode = QueryMode.WINDOW if uses_window(total[0]) else QueryMode.COUNTER
        if ratio.counter is False and mode is QueryMode.COUNTER:
            ctx.warn(loc + ("counter",), "counter: false, but the queries have no {{.window}}: "
                     "sloboard will read them as counters; write them with [{{.window}}]")
        threshold = latency_threshold(numerator[0], total[0]) if numerator_name == "good" else None
        return Indicator(
            kind=IndicatorKind.LATENCY if threshold is not None else IndicatorKind.RATIO,
            total=total[0], good=numerator[0] if numerator_name == "good" else None,
            bad=numerator[0] if numerator_name == "bad" else None, mode=mode,
            latency_threshold_s=threshold, data_source=numerator[1] or total[1])

    def _threshold_indicator(self, ctx: OpenSLOContext, sli: _ResolvedSLI | None,
                             objective: Objective, loc: Loc) -> Indicator | None:
        if sli is None or sli.spec.threshold_metric is None:
            return None
        if objective.op not in ("lt", "lte"):
            ctx.error(loc + ("op",), "a thresholdMetric objective keeps values below a bound: "
                                     "use op: lt or op: lte (a histogram bucket counts values <= le)")
        if objective.value is None:
            ctx.error(loc + ("value",), "required field is missing: the latency bound in seconds")
            return None
        metric_loc = sli.prefix + ("thresholdMetric",)
        query = _query(sli.ctx, sli.spec.threshold_metric, metric_loc)
        if query is None:
            return None
        selector = parse_selector(query[0])
        if selector is None or uses_window(query[0]):
            sli.ctx.error(metric_loc + ("metricSource", "spec", "query"),
                          "a thresholdMetric is read as a Prometheus histogram: give its selector, "
                          'like http_request_duration_seconds{service="checkout"}')
            return None
        bound = ctx.written(loc + ("value",)) or repr(objective.value)
        good, total = histogram_series(selector, bound)
        return Indicator(kind=IndicatorKind.LATENCY, total=total, good=good, mode=QueryMode.COUNTER,
                         latency_threshold_s=objective.value, data_source=query[1])

    def _objective(self, ctx: OpenSLOContext, objective: Objective, loc: Loc) -> float | None:
        if objective.target is not None and objective.target_percent is not None:
            ctx.error(loc + ("targetPercent",), "give target or targetPercent, not both")
            return None
        if objective.target is not None:
            return objective.target
        if objective.target_percent is None:
            ctx.error(loc + ("target",), "required field is missing: give target (0-1) or targetPercent (0-100)")
            return None
        if objective.target_percent < 1:
            ctx.warn(loc + ("targetPercent",), f"targetPercent is 0-100, {objective.target_percent:g} means "
                     f"{objective.target_percent:g} %; did you mean target: {objective.target_percent:g}?")
        return percent_to_fraction(objective.target_percent)

    def _check_timeslices(self, ctx: OpenSLOContext, objective: Objective, loc: Loc) -> None:
        method = self.spec.budgeting_method
        needs = {BudgetingMethod.TIMESLICES: ("timeSliceTarget", "timeSliceWindow"),
                 BudgetingMethod.RATIO_TIMESLICES: ("timeSliceWindow",)}.get(method, ())
        given = {"timeSliceTarget": objective.time_slice_target, "timeSliceWindow": objective.time_slice_window}
        for name in needs:
            if given[name] is None:
                ctx.error(loc + (name,), f"required field is missing: budgetingMethod {method.value} needs it")
        for name, value in given.items():
            if value is not None and name not in needs:
                ctx.warn(loc + (name,), f"{name} is ignored with budgetingMethod {method.value}")


def _raw_indicator(ctx: OpenSLOContext, ratio: RatioMetric, loc: Loc) -> Indicator | None:
    """``raw`` with ``rawType``: the ratio query as a RAW_RATIO indicator (see the module docstring)."""
    mixed = [name for name in ("good", "bad", "total") if getattr(ratio, name) is not None]
    if mixed:
        ctx.error(loc + (mixed[0],), "raw cannot be used together with good, bad or total: "
                  "give raw with rawType, or good or bad with total")
        return None
    if ratio.raw is None:
        ctx.error(loc + ("raw",), "required field is missing: rawType goes with raw, the query of the ratio")
        return None
    if ratio.raw_type is None:
        ctx.error(loc + ("rawType",), "required field is missing: raw needs rawType: success "
                  "(the ratio is good/total) or failure (bad/total)")
        return None
    query = _query(ctx, ratio.raw, loc + ("raw",))
    if query is None:
        return None
    success = ratio.raw_type == "success"
    return Indicator(kind=IndicatorKind.RAW_RATIO, total=query[0], good=query[0] if success else None,
                     bad=None if success else query[0], data_source=query[1])


def _query(ctx: OpenSLOContext, metric: MetricSpec, loc: Loc) -> tuple[str, str | None] | None:
    """The PromQL query of a metric and the DataSource it names, checked against that source."""
    src, at = metric.metric_source, loc + ("metricSource",)
    kind = src.type
    if src.metric_source_ref is not None:
        entry = ctx.registry.datasources.get(src.metric_source_ref)
        if entry is not None:
            source_type = entry[0].spec.type
            if kind is not None and kind.lower() != source_type.lower():
                ctx.error(at + ("type",), f"type {kind!r} differs from DataSource "
                          f"{src.metric_source_ref!r}, which has type {source_type!r}")
            kind = kind or source_type
        elif kind is None:
            ctx.error(at + ("metricSourceRef",), f"no DataSource named {src.metric_source_ref!r} in the "
                      "loaded files, and no type given: add the DataSource or type: Prometheus")
            return None
    if kind is None:
        ctx.error(at + ("type",), "required field is missing: type: Prometheus, or metricSourceRef to a DataSource")
        return None
    if kind.lower() not in PROMQL_SOURCES:
        ctx.error(at + ("type",), f"sloboard reads PromQL sources (Prometheus, Thanos, Mimir, Cortex, "
                  f"VictoriaMetrics); {kind!r} is not one")
        return None
    for key in src.spec:
        if key != "query":
            ctx.error(at + ("spec", key), unknown_name_message("field", key, ["query"]))
    query = src.spec.get("query")
    if not isinstance(query, str) or not query.strip():
        ctx.error(at + ("spec", "query"), "required field is missing: the PromQL query")
        return None
    return query.strip(), src.metric_source_ref


def objective_name(name: str, display_name: str | None, index: int, count: int) -> str:
    """The SLO name of one of ``count`` objectives: ``name-<displayName>`` (or ``name-<index>``)."""
    if count == 1:
        return name
    slug = re.sub(r"[^a-z0-9]+", "-", (display_name or "").lower()).strip("-")
    return f"{name}-{slug or index}"


KINDS: dict[str, type[_Object]] = {
    "SLO": SLOObject, "SLI": SLIObject, "DataSource": DataSourceObject, "Service": ServiceObject,
    "AlertPolicy": UnusedObject, "AlertCondition": UnusedObject, "AlertNotificationTarget": UnusedObject,
}
