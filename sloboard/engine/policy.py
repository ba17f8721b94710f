"""The error-budget policy and the deploy gate: pure decisions over budget remaining.

The gate (``GET /api/v1/gate`` and ``sloboard gate``, both through ``sloboard.gate``)
freezes the deploys of a service when any of its SLOs meets its policy's freeze
condition: budget remaining below the freeze level, or a page alert firing. An SLO whose
data cannot be trusted (none stored, or stale) fails closed, denying, unless the gate is
set to fail open; either way the reason says which happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..domain import BudgetPolicy

FREEZE, WARN, OK, UNKNOWN = "freeze", "warn", "ok", "unknown"
FAIL_CLOSED, FAIL_OPEN = "fail-closed", "fail-open"


def policy_state(policy: BudgetPolicy, budget_remaining: float | None) -> str:
    """``freeze``, ``warn`` or ``ok`` under the error-budget policy; ``unknown`` without data."""
    if budget_remaining is None:
        return UNKNOWN
    if budget_remaining < policy.freeze_below:
        return FREEZE
    if budget_remaining < policy.warn_below:
        return WARN
    return OK


@dataclass(frozen=True)
class PageAlert:
    """A page alert firing: both windows' burn rates are over its threshold."""

    long: str
    short: str
    long_burn_rate: float
    short_burn_rate: float
    threshold: float

    def describe(self) -> str:
        return (f"burn rate {self.long_burn_rate:.1f}x over {self.long} and {self.short_burn_rate:.1f}x over "
                f"{self.short}, above {self.threshold:g}x")


@dataclass(frozen=True)
class PolicyEntry:
    """One SLO as the gate weighs it: budget remaining (None: no data), its policy's state and
    levels, the page alerts firing, and why its data cannot be trusted (None: it is current)."""

    slo_id: str
    budget_remaining: float | None
    state: str
    policy: BudgetPolicy = BudgetPolicy()
    page_alerts: tuple[PageAlert, ...] = ()
    untrusted: str | None = None


@dataclass(frozen=True)
class GateDecision:
    """May the service deploy now: ``allowed``, the worst ``state`` of its SLOs (a firing
    page alert counts as ``freeze``; ``unknown`` when none has a budget), the reasons per SLO,
    each naming its number, deciding ones first, and ``fail_mode`` when data could not be trusted."""

    service: str
    allowed: bool
    state: str
    reasons: tuple[str, ...]
    slos: tuple[PolicyEntry, ...]
    fail_mode: str | None = None


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def gate_decision(service: str, entries: Sequence[PolicyEntry], *, fail_open: bool = False) -> GateDecision:
    """Deploys are frozen when any SLO of the service (``entries``) meets its freeze condition,
    and, unless ``fail_open``, when any SLO's data is untrusted."""
    frozen = [e for e in entries if e.state == FREEZE]
    paging = [e for e in entries if e.page_alerts]
    untrusted = [e for e in entries if e.untrusted is not None]
    mode = (FAIL_OPEN if fail_open else FAIL_CLOSED) if untrusted else None

    def budget(e: PolicyEntry) -> str:
        return f"error budget {_pct(e.budget_remaining)} remaining"

    deciding = (
        [f"{e.slo_id}: {budget(e)}, below the freeze level {_pct(e.policy.freeze_below)}; "
         "the policy freezes deploys" for e in frozen]
        + [f"{e.slo_id}: page alert firing, {a.describe()}; the policy freezes deploys"
           for e in paging for a in e.page_alerts]
    )
    untrusted_reasons = [f"{e.slo_id}: {mode}: {e.untrusted}; {_unjudged(fail_open)}" for e in untrusted]
    notes = (
        [f"{e.slo_id}: {budget(e)}, below the warning level {_pct(e.policy.warn_below)}" for e in entries
         if e.state == WARN]
        + [f"{e.slo_id}: no events in the window, no budget to judge" for e in entries
           if e.state == UNKNOWN and e.untrusted is None]
        + [f"{e.slo_id}: {budget(e)}, at or above the warning level {_pct(e.policy.warn_below)}" for e in entries
           if e.state == OK and not e.page_alerts]
    )
    allowed = not deciding and (fail_open or not untrusted)
    reasons = deciding + untrusted_reasons + notes
    states = {e.state for e in entries} | ({FREEZE} if paging else set())
    state = next((s for s in (FREEZE, WARN, OK) if s in states), UNKNOWN)
    return GateDecision(service, allowed, state, tuple(reasons), tuple(entries), mode)


def store_down_decision(service: str, error: str, *, fail_open: bool = False) -> GateDecision:
    """The decision when the store cannot be read: nothing is known about any SLO."""
    mode = FAIL_OPEN if fail_open else FAIL_CLOSED
    return GateDecision(service, fail_open, UNKNOWN, (f"{mode}: store unreachable ({error}); {_unjudged(fail_open)}",),
                        (), mode)


def _unjudged(fail_open: bool) -> str:
    return f"the gate {'allows' if fail_open else 'denies'} what it cannot judge (gate.fail_open is {str(fail_open).lower()})"
