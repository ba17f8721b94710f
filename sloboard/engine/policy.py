"""The error-budget policy and the deploy gate: pure decisions over budget remaining.

The gate (``GET /api/v1/gate``, and any future ``sloboard gate``) freezes the deploys of a
service when any of its SLOs is in its policy's freeze state. Without data the gate
stays open and says so: a broken collector must not stop every release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..domain import BudgetPolicy

FREEZE, WARN, OK, UNKNOWN = "freeze", "warn", "ok", "unknown"


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
class PolicyEntry:
    """One SLO as the gate weighs it: its id, budget remaining (None: no data) and policy state."""

    slo_id: str
    budget_remaining: float | None
    policy: str


@dataclass(frozen=True)
class GateDecision:
    """May the service deploy now: ``allowed``, the worst ``state`` of its SLOs
    (``unknown`` when none has data) and a reason per SLO that is not ``ok``."""

    service: str
    allowed: bool
    state: str
    reasons: tuple[str, ...]
    slos: tuple[PolicyEntry, ...]


def gate_decision(service: str, entries: Sequence[PolicyEntry]) -> GateDecision:
    """Deploys are frozen when any SLO of the service (``entries``) is in the freeze state."""
    frozen = [e for e in entries if e.policy == FREEZE]

    def budget(e: PolicyEntry) -> str:
        return f"error budget {e.budget_remaining * 100:.1f}% remaining"

    reasons = (
        [f"{e.slo_id}: {budget(e)}, the policy freezes deploys" for e in frozen]
        + [f"{e.slo_id}: {budget(e)}, below the warning line" for e in entries if e.policy == WARN]
        + [f"{e.slo_id}: no data; the gate stays open" for e in entries if e.policy == UNKNOWN]
    )
    states = {e.policy for e in entries}
    state = next((s for s in (FREEZE, WARN, OK) if s in states), UNKNOWN)
    return GateDecision(service, not frozen, state, tuple(reasons), tuple(entries))
