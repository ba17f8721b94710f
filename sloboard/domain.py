"""The domain model: frozen objects that every spec format maps into.

Nothing here does I/O. Spec loaders (``sloboard.specs``) build these objects once;
the engine, store, collectors, dashboard and reports only read them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class BudgetingMethod(str, enum.Enum):
    """How good and bad are counted, as OpenSLO v1 defines it.

    - OCCURRENCES: good events / total events over the whole window.
    - TIMESLICES: the share of time slices whose own ratio meets ``timeslice_target``.
    - RATIO_TIMESLICES: the mean of the per-slice ratios.
    """

    OCCURRENCES = "Occurrences"
    TIMESLICES = "Timeslices"
    RATIO_TIMESLICES = "RatioTimeslices"


class QueryMode(str, enum.Enum):
    """How a PromQL query yields per-step counts.

    - WINDOW: the query contains ``{{.window}}`` (Sloth style): each template is the
      range of a ``rate``/``irate``/``increase`` of a selector, which sloboard replaces
      with that selector's exact events per step.
    - COUNTER: the query names counters (a selector, optionally inside ``sum by``), as in
      Pyrra, Grafana SLO and most OpenSLO examples; sloboard counts each one's exact
      events per step. ``collectors.promql`` says how.
    """

    WINDOW = "window"
    COUNTER = "counter"


class IndicatorKind(str, enum.Enum):
    """What the indicator's queries measure, and so how a step's good and total are counted.

    - RATIO, LATENCY: events (good or bad, and total), counted as ``QueryMode`` says.
    - RAW_RATIO: a ratio already computed, 0-1 (OpenSLO ``ratioMetric.raw``, Sloth
      ``sli.raw``): each step is one time slice, good = the success ratio at the step
      end, total = 1 (per series the query returns).
    - BOOL_GAUGE: a 0/1 gauge such as ``probe_success`` (Pyrra ``bool_gauge``): each
      sample is an event, good = samples of 1, total = samples, per step.
    """

    RATIO = "ratio"
    LATENCY = "latency"
    RAW_RATIO = "raw_ratio"
    BOOL_GAUGE = "bool_gauge"


class Severity(str, enum.Enum):
    PAGE = "page"
    TICKET = "ticket"


@dataclass(frozen=True)
class Window:
    """The SLO compliance window.

    Rolling windows (``28d``) always end at the evaluation time. Calendar windows
    (``week``, ``month``, ``quarter``) start at the last calendar boundary in ``timezone``.
    ``duration`` is the exact length of a rolling window, and the nominal length of a
    calendar one (7, 30 or 90 days), used where a length is needed before the boundary
    is known (validation, burn-rate factors).
    """

    duration: timedelta
    calendar_unit: str | None = None  # None for rolling; "week" | "month" | "quarter"
    timezone: str = "UTC"

    @property
    def is_rolling(self) -> bool:
        return self.calendar_unit is None

    @property
    def label(self) -> str:
        """Short name used in JSON and on screen: ``28d`` or ``month``."""
        if self.calendar_unit:
            return self.calendar_unit
        return format_duration(self.duration)


@dataclass(frozen=True)
class Indicator:
    """Where good and total event counts come from.

    Exactly one of ``good`` and ``bad`` is set. For a latency indicator the loader
    already rewrote the histogram into ``good`` (the ``le`` bucket) and ``total``
    (the ``_count``), so collectors treat every indicator as a ratio.

    A RAW_RATIO holds its one query in ``total`` and in ``good`` (a success ratio,
    OpenSLO ``rawType: success``) or ``bad`` (an error ratio: ``rawType: failure``, Sloth):
    a step's numerator is the ratio's value, its total 1. A BOOL_GAUGE holds its
    selector in ``good`` and ``total``. ``mode`` applies to RATIO and LATENCY only.
    """

    kind: IndicatorKind
    total: str
    good: str | None = None
    bad: str | None = None
    mode: QueryMode = QueryMode.COUNTER
    group_by: tuple[str, ...] = ()
    latency_threshold_s: float | None = None  # latency indicators only
    data_source: str | None = None  # name of the OpenSLO DataSource, if any


@dataclass(frozen=True)
class AlertWindow:
    """One multi-window, multi-burn-rate alert (SRE workbook, chapter 5).

    Fires when the burn rate over both ``long`` and ``short`` exceeds ``burn_rate``.
    """

    severity: Severity
    long: timedelta
    short: timedelta
    burn_rate: float


@dataclass(frozen=True)
class BudgetPolicy:
    """The error-budget policy that the deploy gate enforces.

    ``freeze_below`` and ``warn_below`` are fractions of the budget remaining:
    the defaults freeze deploys once the budget is spent and warn below 25 %.
    """

    freeze_below: float = 0.0
    warn_below: float = 0.25


@dataclass(frozen=True)
class SpecSource:
    """Where an SLO was defined, for messages that name the file and line."""

    path: str
    line: int
    format: str  # "openslo/v1" | "sloth/prometheus/v1" | "pyrra/v1alpha1"


@dataclass(frozen=True)
class SLO:
    id: str  # "service/name"
    service: str
    name: str
    objective: float  # in (0, 1)
    window: Window
    indicator: Indicator
    team: str = ""
    description: str = ""
    budgeting: BudgetingMethod = BudgetingMethod.OCCURRENCES
    timeslice_target: float | None = None  # Timeslices: a slice is good at or above this ratio
    timeslice_window: timedelta | None = None  # Timeslices / RatioTimeslices slice length
    alert_windows: tuple[AlertWindow, ...] = ()
    policy: BudgetPolicy = field(default_factory=BudgetPolicy)
    labels: tuple[tuple[str, str], ...] = ()
    source: SpecSource | None = None
    spec_hash: str = ""  # SHA-256 of the normalised spec, to version definitions
    spec_text: str = ""  # the YAML document as written, for display


_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text: str) -> timedelta:
    """Parse a Prometheus-style duration such as ``28d``, ``1h30m``, ``5m`` or ``90s``.

    Raises ValueError with a message meant for users.
    """
    import re

    s = str(text).strip()
    parts = re.fullmatch(r"((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?", s)
    if not s or parts is None or not any(parts.groups()):
        raise ValueError(f"{text!r} is not a duration; use forms like 30s, 5m, 1h, 28d or 4w")
    seconds = 0
    for (unit, factor), value in zip(_UNITS, parts.groups()[1::2]):
        if value:
            seconds += int(value) * factor
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(d: timedelta) -> str:
    """The shortest exact Prometheus-style form: 2419200 s -> ``28d``, 5400 s -> ``1h30m``."""
    seconds = int(d.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, factor in _UNITS[1:]:  # weeks are written as days, as SRE tables do
        if seconds >= factor:
            out.append(f"{seconds // factor}{unit}")
            seconds %= factor
    return "".join(out)


class DeployStatus(str, enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"

    @classmethod
    def parse(cls, text: str) -> "DeployStatus":
        """Accept the spellings that pipelines and counters use (success, rollback, ...)."""
        key = str(text).strip().lower().replace("-", "_")
        aliases = {"success": cls.SUCCEEDED, "succeeded": cls.SUCCEEDED, "ok": cls.SUCCEEDED,
                   "failed": cls.FAILED, "failure": cls.FAILED, "fail": cls.FAILED,
                   "rolled_back": cls.ROLLED_BACK, "rollback": cls.ROLLED_BACK,
                   "rolledback": cls.ROLLED_BACK}
        if key not in aliases:
            raise ValueError(f"unknown deployment status {text!r}; use succeeded, failed or rolled_back")
        return aliases[key]


@dataclass(frozen=True)
class Deployment:
    """One deployment of one service. Times are timezone-aware UTC datetimes."""

    service: str
    version: str
    status: DeployStatus
    started_at: "datetime"
    finished_at: "datetime | None" = None
    source: str = "cli"  # "cli" | "api" | "prometheus" | "synthetic"
    commit: str | None = None
    committed_at: "datetime | None" = None  # when known, gives the lead time

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
