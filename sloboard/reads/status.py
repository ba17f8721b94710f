"""The status of SLOs at an instant: the one read that the CLI, the dashboard, the reports
and the HTTP API all call, so a number can never differ between them.

``status_report`` returns a :class:`StatusReport`: epochs and floats, None for "no
data"; its ``to_json()`` writes the public JSON contract,
``{"at", "slos": [...], "dora": [...], "cost": [...]}``.

Reads: every window ends at ``at``, so Occurrences SLIs and cost come from sums that
the database adds up between the window starts (hourly rollups for whole hours, raw
steps at the window edges: ``sloboard.reads.plan``), in one read for those SLOs and
one for all cost series; the sums equal the raw steps' sums. Time-slice SLOs read
hourly rollups with raw edges when their slices are whole hours, raw steps otherwise.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Collection, Mapping, Sequence

from ..domain import SLO, BudgetingMethod, format_duration
from ..engine import evaluate, forecast_window
from ..engine.cost import CostBudgets
from ..engine.dora import BandScales
from ..engine.evaluate import window_starts
from ..engine.policy import policy_state
from ..timeparse import iso
from .cost import CostEntry, cost_entries
from .dora import DoraEntry, dora_entries
from .plan import Rows, hourly_rows_suffice, read_sli_rows, read_sli_sums


@dataclass(frozen=True)
class AlertEntry:
    """One multi-window burn-rate alert of an SLO at the instant: its windows as labels
    (``1h``, ``5m``), its threshold, both burn rates (None: no events) and whether it fires."""

    severity: str
    long: str
    short: str
    threshold: float
    long_burn_rate: float | None
    short_burn_rate: float | None
    firing: bool

    def to_dict(self) -> dict[str, Any]:
        """Its fields, as the API's ``Alert`` schema has them (``dashboard/openapi_models.py`` makes
        that schema from these fields)."""
        return asdict(self)


@dataclass(frozen=True)
class SLOEntry:
    """The status of one SLO at the instant. Times are epoch seconds, numbers floats; None
    is "no data" (never 0). ``policy``: ``freeze``, ``warn``, ``ok`` or ``unknown``
    (``engine.policy.policy_state``)."""

    slo: SLO
    window_start: int
    sli: float | None
    good: float | None
    total: float | None
    budget_remaining: float | None
    budget_consumed: float | None
    burn_rates: Mapping[str, float | None]  # per window label, shortest first
    alerts: tuple[AlertEntry, ...]
    exhaustion_at: int | None  # when the budget runs out at the forecast window's burn rate
    data_completeness: float | None
    policy: str

    @property
    def id(self) -> str:
        return self.slo.id

    @property
    def service(self) -> str:
        return self.slo.service

    @property
    def team(self) -> str | None:
        return self.slo.team

    @property
    def objective(self) -> float:
        return self.slo.objective

    @property
    def window(self) -> str:
        return self.slo.window.label

    @property
    def forecast_burn_rate(self) -> float | None:
        """The burn rate over the window the exhaustion forecast uses (``engine.forecast_window``)."""
        return self.burn_rates.get(format_duration(forecast_window(self.slo)))

    def to_dict(self) -> dict[str, Any]:
        """The entry of the public JSON contract (``sloboard status --json``, the API)."""
        return {
            "id": self.id,
            "service": self.service,
            "team": self.team,
            "objective": self.objective,
            "window": self.window,
            "window_start": iso(self.window_start),
            "sli": self.sli,
            "good": self.good,
            "total": self.total,
            "budget_remaining": self.budget_remaining,
            "budget_consumed": self.budget_consumed,
            "burn_rates": dict(self.burn_rates),
            "alerts": [a.to_dict() for a in self.alerts],
            "exhaustion_at": iso(self.exhaustion_at) if self.exhaustion_at is not None else None,
            "data_completeness": self.data_completeness,
            "policy": self.policy,
        }


@dataclass(frozen=True)
class StatusReport:
    """Everything ``sloboard status`` shows at ``at`` (epoch seconds): SLOs by id, DORA
    entries (all services first, then by service), cost entries by scope."""

    at: int
    slos: tuple[SLOEntry, ...]
    dora: tuple[DoraEntry, ...]
    cost: tuple[CostEntry, ...]

    def slo(self, slo_id: str) -> SLOEntry | None:
        return next((e for e in self.slos if e.id == slo_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "slos": [e.to_dict() for e in self.slos],
                "dora": [e.to_dict() for e in self.dora], "cost": [e.to_dict() for e in self.cost]}

    def to_json(self) -> str:
        """The public JSON contract, byte for byte (``tests/golden/status_demo.json``)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)


def _number(value: Any) -> float | None:
    """NaN and None both mean "no data" and become JSON null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


# The fleet's alert windows are a handful of durations, labelled thousands of times per report.
_label = lru_cache(maxsize=256)(format_duration)


def lookback_start(slo: SLO, at_epoch: int) -> int:
    """The earliest time any part of the status needs: the start of the SLO window or of
    the longest burn-rate window (the forecast's included), whichever is earlier."""
    return min(window_starts(slo, at_epoch))


def read_slo_rows(store, slos: Sequence[SLO], at_epoch: int, step_s: int, *,
                  only: Collection[str] | None = None) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` covering every window of each SLO at ``at``.

    Occurrences SLOs need only window sums: they share one read of sums per piece
    (``plan.read_sli_sums``). Time-slice SLOs that rollup rows serve
    (``plan.hourly_rows_suffice``) share one hybrid read; the others share one
    read of raw steps (``step_counts`` None: one step a row). With ``only``, just those
    SLOs' rows, planned over the windows of all ``slos`` in their group: the very rows
    the read of all of them gives those SLOs.
    """
    groups = {read: [] for read in (read_sli_sums, read_sli_rows, None)}
    for slo in slos:
        read = (read_sli_sums if slo.budgeting is BudgetingMethod.OCCURRENCES
                else read_sli_rows if hourly_rows_suffice(slo, step_s) else None)
        groups[read].append(slo)
    rows: dict[str, Rows] = {}
    for read, group in groups.items():
        wanted = [s.id for s in group if only is None or s.id in only]
        if not wanted:
            continue
        if read is not None:
            rows.update(read(store, wanted, [c for s in group for c in window_starts(s, at_epoch)], at_epoch))
        else:
            start = min(lookback_start(s, at_epoch) for s in group)
            samples = store.read_sli_samples_many(wanted, start, at_epoch)
            rows.update({slo_id: (*arrays, None) for slo_id, arrays in samples.items()})
    return rows


def slo_status(slo: SLO, rows: Rows, at_epoch: int, step_s: int) -> SLOEntry:
    """The status entry of one SLO, from its ``(ts, good, total, step_counts)`` rows."""
    ts, good, total, step_counts = rows
    st = evaluate(slo, ts, good, total, at_epoch, step_s=step_s, step_counts=step_counts)
    remaining = _number(st.budget_remaining)
    return SLOEntry(
        slo=slo,
        window_start=st.window_start,
        sli=_number(st.sli),
        good=_number(st.good),
        total=_number(st.total),
        budget_remaining=remaining,
        budget_consumed=_number(st.budget_consumed),
        burn_rates={label: _number(v) for label, v in st.burn_rates.items()},
        alerts=tuple(
            AlertEntry(
                severity=a.severity.value,
                long=_label(a.long),
                short=_label(a.short),
                threshold=a.threshold,
                long_burn_rate=_number(a.long_rate),
                short_burn_rate=_number(a.short_rate),
                firing=bool(a.firing),
            )
            for a in st.alerts
        ),
        exhaustion_at=st.exhaustion_at,
        data_completeness=_number(st.data_completeness),
        policy=policy_state(slo.policy, remaining),
    )


def slo_entry(store, slos: Sequence[SLO], slo_id: str, at_epoch: int, *, step_s: int) -> SLOEntry:
    """The entry of ``slo_id`` in ``status_report(store, slos, at_epoch, ...).slos``, equal
    to it in every bit, from a read of that SLO's rows alone (``read_slo_rows``'s ``only``)."""
    slo = next(s for s in slos if s.id == slo_id)
    return slo_status(slo, read_slo_rows(store, slos, at_epoch, step_s, only={slo_id})[slo_id], at_epoch, step_s)


def status_report(store, slos: Sequence[SLO], at_epoch: int, *, step_s: int, timezone_name: str,
                  cost_budgets: CostBudgets, dora_bands: BandScales,
                  dora: bool = True) -> StatusReport:
    """Everything ``sloboard status`` shows, with all windows ending at ``at_epoch``.

    ``step_s``: the collection step; ``timezone_name``: where months begin (cost);
    ``cost_budgets``: the monthly budgets and their thresholds; ``dora_bands``: the DORA
    2023 bands (``sloboard.dora_bands``). ``dora=False`` leaves the DORA entries out
    (empty), unread: for a caller that shows them apart or not at all.
    """
    slos = sorted(slos, key=lambda s: s.id)
    rows = read_slo_rows(store, slos, at_epoch, step_s)
    return StatusReport(
        at=at_epoch,
        slos=tuple(slo_status(s, rows[s.id], at_epoch, step_s) for s in slos),
        dora=tuple(dora_entries(store, at_epoch, bands=dora_bands)) if dora else (),
        cost=tuple(cost_entries(store, at_epoch, timezone_name=timezone_name, budgets=cost_budgets,
                                team_of={s.service: s.team for s in slos if s.team})),
    )
