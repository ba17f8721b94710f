"""``engine.policy``: the error-budget policy state of an SLO and the deploy gate's decision."""

from __future__ import annotations

import pytest

from sloboard.domain import BudgetPolicy
from sloboard.engine.policy import PageAlert, PolicyEntry, gate_decision, policy_state, store_down_decision

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


def test_gate_closes_when_any_slo_is_frozen_and_names_every_slo_with_its_number():
    decision = gate_decision("checkout", [PolicyEntry("checkout/a", -0.5, "freeze", POLICY),
                                          PolicyEntry("checkout/b", 0.1, "warn", POLICY),
                                          PolicyEntry("checkout/c", None, "unknown", POLICY),
                                          PolicyEntry("checkout/d", 0.9, "ok", POLICY)])
    assert (decision.allowed, decision.state, decision.fail_mode) == (False, "freeze", None)
    assert decision.reasons == (
        "checkout/a: error budget -50.0% remaining, below the freeze level 0.0%; the policy freezes deploys",
        "checkout/b: error budget 10.0% remaining, below the warning level 25.0%",
        "checkout/c: no events in the window, no budget to judge",
        "checkout/d: error budget 90.0% remaining, at or above the warning level 25.0%")


PAGE = PageAlert("1h", "5m", 15.0, 30.5, 14.4)


def test_a_firing_page_alert_freezes_a_service_with_budget_left():
    decision = gate_decision("search", [PolicyEntry("search/a", 0.8, "ok", POLICY, (PAGE,))])
    assert (decision.allowed, decision.state) == (False, "freeze")
    assert decision.reasons == ("search/a: page alert firing, burn rate 15.0x over 1h and 30.5x over 5m, "
                                "above 14.4x; the policy freezes deploys",)


@pytest.mark.parametrize("fail_open, allowed, mode, judged", [
    pytest.param(False, False, "fail-closed", "denies", id="untrusted data fails closed by default"),
    pytest.param(True, True, "fail-open", "allows", id="and open when set"),
])
def test_untrusted_data_fails_closed_or_open_and_says_which(fail_open, allowed, mode, judged):
    entries = [PolicyEntry("search/a", 0.8, "ok", POLICY, (), "data stale since T"),
               PolicyEntry("search/b", 0.9, "ok", POLICY)]
    decision = gate_decision("search", entries, fail_open=fail_open)
    assert (decision.allowed, decision.fail_mode) == (allowed, mode)
    assert f"search/a: {mode}: data stale since T; the gate {judged} what it cannot judge " \
           f"(gate.fail_open is {str(fail_open).lower()})" in decision.reasons


def test_fail_open_still_denies_what_the_data_it_has_freezes():
    entries = [PolicyEntry("search/a", -0.2, "freeze", POLICY, (), "data stale since T")]
    assert gate_decision("search", entries, fail_open=True).allowed is False


@pytest.mark.parametrize("fail_open", [False, True])
def test_a_store_that_cannot_be_read_decides_by_the_setting(fail_open):
    decision = store_down_decision("search", "connection refused", fail_open=fail_open)
    assert (decision.allowed, decision.slos) == (fail_open, ())
    assert decision.reasons[0].startswith(f"{'fail-open' if fail_open else 'fail-closed'}: store unreachable "
                                          "(connection refused)")
