"""Sloth ``version: "prometheus/v1"`` and its Kubernetes form: the schemas, and one mapping.

Schemas: https://github.com/slok/sloth, ``pkg/prometheus/api/v1`` and the CRD
``pkg/kubernetes/api/sloth/v1`` (``apiVersion: sloth.slok.dev/v1``, ``kind:
PrometheusServiceLevel``), whose ``spec`` holds the same service, labels and slos,
with camelCase names (``errorQuery``, ``pageAlert``). Readings:

- ``objective`` is a percent, (0, 100).
- Sloth computes every SLI over windows, so both event queries must contain
  ``{{.window}}`` (an error here, as in Sloth); they map to QueryMode.WINDOW.
- The window is Sloth's default SLO period, 30d (prometheus/v1 has no window field).
- ``page_alert.disable`` / ``ticket_alert.disable`` drop that severity's alert windows.
- The team is the ``team`` label, else the ``owner`` label (SLO labels over service labels).
- ``sli.raw.error_ratio_query`` (``errorRatioQuery`` in the CRD) is an error ratio, 0-1,
  with ``{{.window}}`` as Sloth requires: IndicatorKind.RAW_RATIO, budgeted as
  RatioTimeslices over one-step slices, which is what Sloth's period SLI does (the mean
  of its short-window error ratios). ``rate(x[{{.window}}])`` in it is counted exactly
  per step.
- ``sli.plugin`` is refused: a plugin is Go code run by Sloth, whose queries sloboard
  cannot know. Rule-generation plugins (``slo_plugins``, ``plugins``) are accepted and
  ignored, with a warning.
- Label values may be numbers or booleans; they become text, as Sloth's YAML reader
  makes them. Unknown fields are warnings: Sloth ignores them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ..domain import SLO, BudgetingMethod, Indicator, IndicatorKind, QueryMode, Severity, Window
from ..window_template import uses_window
from .base import MappingContext, SpecModel
from .building import Where, check_id_part, check_slo, fingerprint, percent_to_fraction, source
from .kubernetes import KubernetesObject
from .scalars import Text, TextMap
from .yaml_source import Loc

FORMAT = "sloth/prometheus/v1"
VERSION = "prometheus/v1"
K8S_FORMAT = "sloth/sloth.slok.dev/v1"
K8S_API_VERSION = "sloth.slok.dev/v1"
K8S_KIND = "PrometheusServiceLevel"
WINDOW = Window(timedelta(days=30))
IGNORED = "ignored: Sloth ignores unknown fields"


def _require_window(query: str) -> str:
    if not uses_window(query):
        raise ValueError("the query must contain the {{.window}} template variable, as Sloth requires "
                         "(for example rate(x[{{.window}}]))")
    return query


class _Sloth(SpecModel):
    UNKNOWN_FIELDS = IGNORED


class Alert(_Sloth):
    disable: bool = False
    labels: TextMap = {}
    annotations: TextMap = {}


class Alerting(_Sloth):
    name: Text | None = None
    labels: TextMap = {}
    annotations: TextMap = {}
    page_alert: Alert = Alert()
    ticket_alert: Alert = Alert()


class Events(_Sloth):
    error_query: str
    total_query: str

    @field_validator("error_query", "total_query")
    @classmethod
    def _templated(cls, value: str) -> str:
        return _require_window(value)


class Raw(_Sloth):
    error_ratio_query: str

    @field_validator("error_ratio_query")
    @classmethod
    def _templated(cls, value: str) -> str:
        return _require_window(value)


class Plugin(_Sloth):
    id: str
    options: dict[str, Any] = {}


class SLI(_Sloth):
    raw: Raw | None = None
    events: Events | None = None
    plugin: Plugin | None = None


class SLOPlugin(_Sloth):
    id: str
    config: Any = None
    priority: int = 0


class SLOPlugins(_Sloth):
    override_previous: bool = Field(False, alias="overridePrevious")
    chain: list[SLOPlugin] = []


class Interval(_Sloth):
    all: str | None = None
    slierror: str | None = None
    metadata: str | None = None
    alert: str | None = None


class SlothSLO(_Sloth):
    name: Text
    description: Text = ""
    objective: float
    labels: TextMap = {}
    info_labels: TextMap = Field({}, alias="infoLabels")
    plugins: SLOPlugins | None = None
    sli: SLI
    alerting: Alerting = Alerting()
    interval: Interval | None = None

    @field_validator("objective")
    @classmethod
    def _percent(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError(f"objective is a percent between 0 and 100, exclusive; got {value:g}")
        return value


class _Service(_Sloth):
    """What the file form and the Kubernetes ``spec`` share: one service and its SLOs."""

    service: Text
    labels: TextMap = {}
    slos: list[SlothSLO] = Field(min_length=1)

    def map_slos(self, ctx: MappingContext, root: Loc, fmt: str, head: dict) -> list[SLO]:
        """One SLO per entry of ``slos`` (at ``root`` in the document); problems leave that SLO out."""
        check_id_part(ctx, root + ("service",), self.service, "service")
        slos = []
        for i, spec in enumerate(self.slos):
            loc = root + ("slos", i)
            mark = ctx.checkpoint()
            check_id_part(ctx, loc + ("name",), spec.name, "name")
            if spec.plugins is not None:
                ctx.warn(loc + ("plugins",), "Sloth rule-generation plugins are ignored by sloboard")
            indicator = _indicator(ctx, spec, loc)
            if ctx.failed_since(mark) or indicator is None:
                continue
            if spec.objective < 1:
                ctx.warn(loc + ("objective",), f"objective is 0-100, {spec.objective:g} means "
                         f"{spec.objective:g} %; did you mean {spec.objective * 100:g}?")
            labels = {**self.labels, **spec.labels}
            dropped = {Severity.PAGE: spec.alerting.page_alert.disable,
                       Severity.TICKET: spec.alerting.ticket_alert.disable}
            raw = _walk(ctx.doc.data, loc)
            slo = SLO(
                id=f"{self.service}/{spec.name}", service=self.service, name=spec.name,
                objective=percent_to_fraction(spec.objective), window=WINDOW, indicator=indicator,
                team=labels.get("team") or labels.get("owner", ""), description=spec.description,
                budgeting=(BudgetingMethod.RATIO_TIMESLICES if indicator.kind is IndicatorKind.RAW_RATIO
                           else BudgetingMethod.OCCURRENCES),
                alert_windows=tuple(w for w in ctx.default_windows if not dropped[w.severity]),
                labels=tuple(sorted(labels.items())),
                source=source(ctx, fmt, ctx.line_of(loc)),
                spec_hash=fingerprint(head, raw), spec_text=ctx.doc.text,
            )
            check_slo(ctx, slo, Where(root + ("service",), loc + ("name",), loc, *_query_locs(spec, loc)))
            slos.append(slo)
        return slos


class SlothSpec(_Service):
    SEPARATE_SLOS = (("slos",),)
    version: Literal["prometheus/v1"]
    slo_plugins: SLOPlugins | None = None

    def to_domain(self, ctx: MappingContext) -> list[SLO]:
        if self.slo_plugins is not None:
            ctx.warn(("slo_plugins",), "Sloth rule-generation plugins are ignored by sloboard")
        head = {"version": self.version, "service": self.service, "labels": self.labels}
        return self.map_slos(ctx, (), FORMAT, head)


# The Kubernetes form: the same fields, spelt as the CRD's JSON tags.

class K8sEvents(Events):
    error_query: str = Field(alias="errorQuery")
    total_query: str = Field(alias="totalQuery")


class K8sRaw(Raw):
    error_ratio_query: str = Field(alias="errorRatioQuery")


class K8sSLI(SLI):
    raw: K8sRaw | None = None
    events: K8sEvents | None = None


class K8sAlerting(Alerting):
    page_alert: Alert = Field(Alert(), alias="pageAlert")
    ticket_alert: Alert = Field(Alert(), alias="ticketAlert")


class K8sSLO(SlothSLO):
    sli: K8sSLI
    alerting: K8sAlerting = K8sAlerting()


class K8sSpec(_Service):
    slos: list[K8sSLO] = Field(min_length=1)
    slo_plugins: SLOPlugins | None = Field(None, alias="sloPlugins")


class PrometheusServiceLevel(KubernetesObject):
    SEPARATE_SLOS = (("spec", "slos"),)
    api_version: Literal["sloth.slok.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["PrometheusServiceLevel"]
    spec: K8sSpec

    def to_domain(self, ctx: MappingContext) -> list[SLO]:
        if self.spec.slo_plugins is not None:
            ctx.warn(("spec", "sloPlugins"), "Sloth rule-generation plugins are ignored by sloboard")
        head = {"apiVersion": self.api_version, "service": self.spec.service, "labels": self.spec.labels}
        return self.spec.map_slos(ctx, ("spec",), K8S_FORMAT, head)


def _names(model: BaseModel | None, *attrs: str) -> Loc:
    """The YAML names of a path of attributes, which the two forms spell differently."""
    names = []
    for attr in attrs:
        if model is None:
            names.append(attr)
            continue
        info = type(model).model_fields[attr]
        names.append(info.alias or attr)
        model = getattr(model, attr)
    return tuple(names)


def _query_locs(spec: SlothSLO, loc: Loc) -> tuple[Loc, Loc]:
    """Where the numerator and total queries are: the raw query stands for both."""
    if spec.sli.raw is not None:
        raw = loc + _names(spec, "sli", "raw") + _names(spec.sli.raw, "error_ratio_query")
        return raw, raw
    events = loc + _names(spec, "sli", "events")
    return events + _names(spec.sli.events, "error_query"), events + _names(spec.sli.events, "total_query")


def _walk(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _indicator(ctx: MappingContext, spec: SlothSLO, loc: Loc) -> Indicator | None:
    sli, at = spec.sli, loc + _names(spec, "sli")
    given = [name for name in ("events", "raw", "plugin") if getattr(sli, name) is not None]
    if len(given) != 1:
        ctx.error(at, "give exactly one of events, raw or plugin"
                  + (f"; got {', '.join(given)}" if given else ""))
        return None
    if sli.raw is not None:
        query = sli.raw.error_ratio_query.strip()
        return Indicator(kind=IndicatorKind.RAW_RATIO, bad=query, total=query)
    if sli.events is None:
        pair = "errorQuery and totalQuery" if isinstance(spec, K8sSLO) else "error_query and total_query"
        ctx.error(at + (given[0],), f"{given[0]} SLIs are not supported by sloboard: a plugin is Go code "
                  f"that Sloth runs, so its queries are unknown; write the SLI as events with {pair}, "
                  "or as raw with the error ratio query")
        return None
    return Indicator(kind=IndicatorKind.RATIO, bad=sli.events.error_query.strip(),
                     total=sli.events.total_query.strip(), mode=QueryMode.WINDOW)
