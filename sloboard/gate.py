"""The deploy gate: may a service deploy now, and why. ``GET /api/v1/gate`` and
``sloboard gate`` both call :func:`ask`, so the two can never decide differently.

The decision itself is ``engine.policy.gate_decision`` over each SLO of the service: its
budget and policy (``reads.status``), its firing page alerts, and whether its data can be
trusted, judged by the stale banner's rule (``reads.health.sample_staleness``, allowing
the collector's designed lag). An active admin override (``sloboard gate override``)
allows, naming who gave it, until when and why. A store that cannot be read fails closed
unless ``gate.fail_open`` is set. Every decision that reaches the store is audited with
who asked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from .domain import SLO
from .engine.policy import GateDecision, PageAlert, PolicyEntry, gate_decision, store_down_decision
from .errors import InputError, StoreError
from .reads.health import newest_sample, sample_staleness, staleness_limit_s
from .reads.status import SLOEntry
from .store.overrides import GateOverride
from .timeparse import iso

log = logging.getLogger(__name__)
AUDIT_ACTION = "gate.decision"


class UnknownService(InputError):
    """No SLO covers the service asked about."""


@dataclass(frozen=True)
class GateAnswer:
    """The gate's answer at ``at`` (epoch seconds): the decision, the override that opened
    the gate (if any) and each SLO's newest sample time."""

    at: int
    decision: GateDecision
    override: GateOverride | None = None
    newest: Mapping[str, int | None] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def to_dict(self) -> dict:
        """The JSON answer; ``allowed`` repeats ``allow`` for pipelines written against 0.1."""
        d, o = self.decision, self.override
        return {
            "service": d.service,
            "at": iso(self.at),
            "allow": d.allowed,
            "allowed": d.allowed,
            "state": d.state,
            "fail_mode": d.fail_mode,
            "reasons": list(d.reasons),
            "override": None if o is None else {
                "id": o.id, "by": o.created_by, "reason": o.reason,
                "created_at": iso(int(o.created_at)), "expires_at": iso(int(o.expires_at))},
            "slos": [_slo_dict(e, self.newest.get(e.slo_id)) for e in d.slos],
        }


def _slo_dict(e: PolicyEntry, newest: int | None) -> dict:
    return {
        "id": e.slo_id, "budget_remaining": e.budget_remaining, "policy": e.state,
        "freeze_below": e.policy.freeze_below, "warn_below": e.policy.warn_below,
        "page_alerts_firing": [{"long": a.long, "short": a.short, "long_burn_rate": a.long_burn_rate,
                                "short_burn_rate": a.short_burn_rate, "threshold": a.threshold}
                               for a in e.page_alerts],
        "newest_sample": None if newest is None else iso(newest),
        "trusted": e.untrusted is None,
    }


def service_slos(slos: Sequence[SLO], service: str) -> list[SLO]:
    """The SLOs of ``service``; UnknownService names the known services when there are none."""
    found = [s for s in slos if s.service == service]
    if not found:
        known = ", ".join(sorted({s.service for s in slos})) or "none"
        raise UnknownService(f"no SLO covers service {service!r}; known: {known}")
    return found


@dataclass(frozen=True)
class GateRules:
    """What the gate reads from the settings: the collection's step, interval and lag (to
    judge staleness) and ``gate.fail_open``."""

    step_s: int
    interval_s: int
    lag_s: int
    fail_open: bool

    @classmethod
    def from_settings(cls, settings) -> "GateRules":
        c = settings.collect
        return cls(c.step_s, c.interval_s, c.lag_s, settings.gate.fail_open)

    def instant(self, now: float) -> int:
        """The instant the SLOs are judged at: now floored to the step, as the dashboard's pages."""
        return int(now) // self.step_s * self.step_s


def ask(store, slos: Sequence[SLO], service: str, now: float, rules: GateRules, *,
        read_entries: Callable[[int], Sequence[SLOEntry]], actor: str) -> GateAnswer:
    """The gate's answer for ``service`` at ``now``, audited under ``actor``.

    The SLOs are judged at ``rules.instant(now)``, overrides at ``now`` itself.
    ``read_entries(at)`` gives the status entries of (at least) the service's SLOs: the
    dashboard passes its cached report, the CLI a read of those SLOs alone. A StoreError
    while reading or auditing gives the fail-closed (or fail-open) answer instead.
    """
    ours = service_slos(slos, service)
    at = rules.instant(now)
    try:
        answer = _decide(store, ours, at, now, read_entries, rules)
        store.append_audit(actor, AUDIT_ACTION, _audit_payload(answer))
    except StoreError as exc:
        return unreachable(service, at, exc, fail_open=rules.fail_open, actor=actor)
    return answer


def unreachable(service: str, at: int, error: Exception, *, fail_open: bool, actor: str) -> GateAnswer:
    """The answer when the store cannot be read; logged, since it cannot be audited."""
    answer = GateAnswer(at, store_down_decision(service, str(error), fail_open=fail_open))
    log.warning(json.dumps({"event": AUDIT_ACTION, "actor": actor, "store": "unreachable"} | _audit_payload(answer),
                           sort_keys=True))
    return answer


def _decide(store, slos: Sequence[SLO], at: int, now: float, read_entries, rules: GateRules) -> GateAnswer:
    by_id = {e.id: e for e in read_entries(at)}
    recent_s = staleness_limit_s(rules.interval_s, lag_s=rules.lag_s)
    newest = {s.id: newest_sample(store, [s.id], at, recent_s) for s in slos}
    entries = [_policy_entry(s, by_id[s.id], newest[s.id], at, rules) for s in sorted(slos, key=lambda s: s.id)]
    decision = gate_decision(slos[0].service, entries, fail_open=rules.fail_open)
    overrides = store.gate_overrides(service=slos[0].service, active_at=now)
    if not overrides:
        return GateAnswer(at, decision, None, newest)
    o = overrides[0]
    line = f"override by {o.created_by} until {iso(int(o.expires_at))}: {o.reason}"
    return GateAnswer(at, replace(decision, allowed=True, reasons=(line, *decision.reasons)), o, newest)


def _policy_entry(slo: SLO, entry: SLOEntry, newest: int | None, at: int, rules: GateRules) -> PolicyEntry:
    paging = tuple(PageAlert(a.long, a.short, a.long_burn_rate, a.short_burn_rate, a.threshold)
                   for a in entry.alerts if a.severity == "page" and a.firing)
    # The collector stays collect.lag_s behind now on purpose: that much age is not staleness.
    stale = sample_staleness(newest, at, rules.interval_s, lag_s=rules.lag_s)
    if stale is not None and newest is not None:
        stale = f"data stale since {iso(newest)}: {stale}"
    return PolicyEntry(slo.id, entry.budget_remaining, entry.policy, slo.policy, paging, stale)


def _audit_payload(answer: GateAnswer) -> dict:
    d = answer.decision
    return {"service": d.service, "at": iso(answer.at), "allowed": d.allowed, "state": d.state,
            "fail_mode": d.fail_mode, "override": None if answer.override is None else answer.override.id,
            "reasons": list(d.reasons)}
