"""``engine.policy``: the error-budget policy state of an SLO and the deploy gate's decision."""

from __future__ import annotations

import pytest

from sloboard.domain import BudgetPolicy
from sloboard.engine.policy import PolicyEntry, gate_decision, policy_state

POLICY = BudgetPolicy(freeze_below=0.0, warn_below=0.25)


@pytest.mark.parametrize(
    ("remaining", "state"),
    [
        pytest.param(None, "unknown", id="no data is unknown, not ok"),
        pytest.param(-0.01, "freeze", id="a spent budget freezes"),
        pytest.param(0.0, "warn", id="exactly at the freeze line warns"),
        pytest.param(0.2499, "warn", id="below the warning line warns"),
        pytest.param(0.25, "ok", id="at the warning line is ok"),
    ],
)
def test_policy_state(remaining, state):
    assert policy_state(POLICY, remaining) == state


def test_gate_closes_when_any_slo_is_frozen_and_names_every_slo_that_is_not_ok():
    decision = gate_decision("checkout", [PolicyEntry("checkout/a", -0.5, "freeze"),
                                          PolicyEntry("checkout/b", 0.1, "warn"),
                                          PolicyEntry("checkout/c", None, "unknown"),
                                          PolicyEntry("checkout/d", 0.9, "ok")])
    assert (decision.allowed, decision.state) == (False, "freeze")
    assert decision.reasons == ("checkout/a: error budget -50.0% remaining, the policy freezes deploys",
                                "checkout/b: error budget 10.0% remaining, below the warning line",
                                "checkout/c: no data; the gate stays open")


def test_gate_stays_open_without_data():
    decision = gate_decision("search", [PolicyEntry("search/a", None, "unknown")])
    assert (decision.allowed, decision.state) == (True, "unknown")
