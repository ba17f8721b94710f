"""Sloth ``version: "prometheus/v1"``: the schema, and its one mapping into the domain.

Schema: https://github.com/slok/sloth, ``pkg/prometheus/api/v1``. Readings:

- ``objective`` is a percent, (0, 100).
- Sloth computes every SLI over windows, so both event queries must contain
  ``{{.window}}`` (an error here, as in Sloth); they map to QueryMode.WINDOW.
- The window is Sloth's default SLO period, 30d (prometheus/v1 has no window field).
- ``page_alert.disable`` / ``ticket_alert.disable`` drop that severity's alert windows.
- The team is the ``team`` label, else the ``owner`` label (SLO labels over service labels).
- ``sli.raw`` and ``sli.plugin`` are not supported; rule-generation plugins
  (``slo_plugins``, ``plugins``) are accepted and ignored, with a warning.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from ..domain import SLO, Indicator, IndicatorKind, QueryMode, Severity, Window
from .base import MappingContext, SpecModel
from .building import Where, check_id_part, check_slo, fingerprint, percent_to_fraction, source
from .promql import uses_window

FORMAT = "sloth/prometheus/v1"
VERSION = "prometheus/v1"
WINDOW = Window(timedelta(days=30))


class Alert(SpecModel):
    disable: bool = False
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class Alerting(SpecModel):
    name: str | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    page_alert: Alert = Alert()
    ticket_alert: Alert = Alert()


class Events(SpecModel):
    error_query: str
    total_query: str

    @field_validator("error_query", "total_query")
    @classmethod
    def _templated(cls, value: str) -> str:
        if not uses_window(value):
            raise ValueError("the query must contain the {{.window}} template variable, as Sloth requires "
                             "(for example rate(x[{{.window}}]))")
        return value


class Raw(SpecModel):
    error_ratio_query: str


class Plugin(SpecModel):
    id: str
    options: dict[str, Any] = {}


class SLI(SpecModel):
    raw: Raw | None = None
    events: Events | None = None
    plugin: Plugin | None = None


class SLOPlugin(SpecModel):
    id: str
    config: Any = None
    priority: int = 0


class SLOPlugins(SpecModel):
    override_previous: bool = Field(False, alias="overridePrevious")
    chain: list[SLOPlugin] = []


class Interval(SpecModel):
    all: str | None = None
    slierror: str | None = None
    metadata: str | None = None
    alert: str | None = None


class SlothSLO(SpecModel):
    name: str
    description: str = ""
    objective: float
    labels: dict[str, str] = {}
    info_labels: dict[str, str] = Field({}, alias="infoLabels")
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


class SlothSpec(SpecModel):
    version: Literal["prometheus/v1"]
    service: str
    labels: dict[str, str] = {}
    slo_plugins: SLOPlugins | None = None
    slos: list[SlothSLO] = Field(min_length=1)

    def to_domain(self, ctx: MappingContext) -> list[SLO]:
        """One SLO per entry of ``slos``; problems go to ``ctx`` and leave that SLO out."""
        check_id_part(ctx, ("service",), self.service, "service")
        if self.slo_plugins is not None:
            ctx.warn(("slo_plugins",), "Sloth rule-generation plugins are ignored by sloboard")
        head = {"version": self.version, "service": self.service, "labels": self.labels}
        slos = []
        for i, spec in enumerate(self.slos):
            loc = ("slos", i)
            mark = ctx.checkpoint()
            check_id_part(ctx, loc + ("name",), spec.name, "name")
            if spec.plugins is not None:
                ctx.warn(loc + ("plugins",), "Sloth rule-generation plugins are ignored by sloboard")
            indicator = self._indicator(ctx, spec, loc)
            if ctx.failed_since(mark) or indicator is None:
                continue
            if spec.objective < 1:
                ctx.warn(loc + ("objective",), f"objective is 0-100, {spec.objective:g} means "
                         f"{spec.objective:g} %; did you mean {spec.objective * 100:g}?")
            labels = {**self.labels, **spec.labels}
            dropped = {Severity.PAGE: spec.alerting.page_alert.disable,
                       Severity.TICKET: spec.alerting.ticket_alert.disable}
            slo = SLO(
                id=f"{self.service}/{spec.name}", service=self.service, name=spec.name,
                objective=percent_to_fraction(spec.objective), window=WINDOW, indicator=indicator,
                team=labels.get("team") or labels.get("owner", ""), description=spec.description,
                alert_windows=tuple(w for w in ctx.default_windows if not dropped[w.severity]),
                labels=tuple(sorted(labels.items())),
                source=source(ctx, FORMAT, ctx.line_of(loc)),
                spec_hash=fingerprint(head, ctx.doc.data["slos"][i]), spec_text=ctx.doc.text,
            )
            check_slo(ctx, slo, Where(("service",), loc + ("name",), loc,
                                      loc + ("sli", "events", "error_query"),
                                      loc + ("sli", "events", "total_query")))
            slos.append(slo)
        return slos

    @staticmethod
    def _indicator(ctx: MappingContext, spec: SlothSLO, loc: tuple) -> Indicator | None:
        sli = spec.sli
        given = [name for name in ("events", "raw", "plugin") if getattr(sli, name) is not None]
        if len(given) != 1:
            ctx.error(loc + ("sli",), "give exactly one of events, raw or plugin"
                      + (f"; got {', '.join(given)}" if given else ""))
            return None
        if sli.events is None:
            ctx.error(loc + ("sli", given[0]), f"{given[0]} SLIs are not supported by sloboard; "
                      "write the SLI as events with error_query and total_query")
            return None
        return Indicator(kind=IndicatorKind.RATIO, bad=sli.events.error_query.strip(),
                         total=sli.events.total_query.strip(), mode=QueryMode.WINDOW)

