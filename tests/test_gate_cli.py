"""``sloboard gate SERVICE`` as a pipeline runs it: exit 0 allow, 3 deny, each reason naming
the SLO and its number; overrides with a reason and an expiry; fail closed (or open) on a
store that cannot be reached and on stale data.

The store holds samples up to a little past now, so the command's own clock finds them
current. Every expected number is worked out here from the samples written:
- steady/availability, 99.9 %: SLI 0.9995 over 28 days, half its budget spent: 50.0 % left.
- frozen/availability, 99.9 %, freeze below 60 %: the same samples, 50.0 % < 60 %: deny.
- paging/availability, 99.9 %: good but for 2 % bad since an hour ago: burn rate
  0.02 / 0.001 = 20x over 1h and 5m, above the page threshold 14.4x: deny.
- stale/availability: samples end an hour ago, more than 3 collection intervals (180 s) beyond
  the collector's lag (120 s).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import numpy as np
import pytest

from sloboard.specs import load_specs
from sloboard.store import Store
from sloboard.timeparse import iso
from tests.test_cli import ROOT, SLOBOARD

STEP = 60
DAY = 86_400
SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  annotations: {annotations}
spec:
  service: {service}
  indicator:
    metadata: {{name: {service}-ok}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{metricSourceRef: prometheus, spec: {{query: 'sum(ok{{service="{service}"}})'}}}}}}
        total: {{metricSource: {{metricSourceRef: prometheus, spec: {{query: 'sum(all{{service="{service}"}})'}}}}}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
"""
ANNOTATIONS = {"frozen": '{"sloboard.dev/freeze-below": "60%", "sloboard.dev/warn-below": "80%"}'}


def write_specs(folder, services) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "---\n".join(SPEC.format(service=s, annotations=ANNOTATIONS.get(s, "{}")) for s in services)
    (folder / "gate.yaml").write_text(text)
    shutil.copy(ROOT / "slo_specs" / "prometheus.yaml", folder / "prometheus.yaml")  # the DataSource


def seed(store: Store, service: str, now: int, *, ends: int, bad_from: int | None = None) -> None:
    """Samples of ``service``/availability on the step grid from 29 days before ``now`` to
    ``ends``: SLI 0.9995, or 2 % bad from ``bad_from`` on."""
    ts = np.arange((now - 29 * DAY) // STEP * STEP, ends + 1, STEP, dtype=np.int64)
    total = np.full(ts.size, 1000.0)
    bad = np.where(ts > bad_from, 20.0, 0.0) if bad_from is not None else np.full(ts.size, 0.5)
    store.write_sli_samples(f"{service}/availability", ts, total - bad, total)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    home = tmp_path_factory.mktemp("gate")
    write_specs(home / "specs", ["steady", "frozen", "paging", "stale"])
    now = int(time.time()) // STEP * STEP
    store = Store.open(f"sqlite:///{home / 'var' / 'sloboard.db'}")
    store.sync_slos(load_specs([home / "specs"]).slos)
    ahead = now + 900  # the command runs within these 15 minutes and still finds its newest step
    for service in ("steady", "frozen"):
        seed(store, service, now, ends=ahead)
    seed(store, "paging", now, ends=ahead, bad_from=now - 3600)
    seed(store, "stale", now, ends=now - 3600)
    store.close()
    return home, now


def gate(home, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    environment.update(SLOBOARD_DATA_DIR=str(home / "var"), SLOBOARD_SPECS_DIR=str(home / "specs"), **env)
    return subprocess.run([*SLOBOARD, "gate", *args], capture_output=True, text=True, env=environment, cwd=home,
                          timeout=120)


def test_a_healthy_service_may_deploy_and_the_reason_names_its_budget(fleet):
    home, _ = fleet
    result = gate(home, "steady")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "allow: steady (state ok)",
        "  steady/availability: error budget 50.0% remaining, at or above the warning level 25.0%"]


def test_a_budget_below_the_freeze_level_denies_with_exit_3(fleet):
    home, _ = fleet
    result = gate(home, "frozen")
    assert result.returncode == 3, result.stderr
    assert result.stdout.splitlines() == [
        "deny: frozen (state freeze)",
        "  frozen/availability: error budget 50.0% remaining, below the freeze level 60.0%; "
        "the policy freezes deploys"]


def test_a_firing_page_alert_denies_although_budget_is_left(fleet):
    home, _ = fleet
    answer = json.loads(gate(home, "paging", "--json").stdout)
    assert (answer["allow"], answer["state"], answer["fail_mode"]) == (False, "freeze", None)
    [slo] = answer["slos"]
    assert slo["budget_remaining"] > 0.9  # about 60 bad steps of 20 against 40,320 allowed bad events
    assert [(a["long"], a["short"], a["threshold"]) for a in slo["page_alerts_firing"]] == [("1h", "5m", 14.4)]
    assert answer["reasons"][0] == ("paging/availability: page alert firing, burn rate 20.0x over 1h and 20.0x "
                                    "over 5m, above 14.4x; the policy freezes deploys")
    assert gate(home, "paging").returncode == 3


def test_stale_data_fails_closed_by_default_and_open_when_set(fleet):
    home, now = fleet
    since = f"stale/availability: fail-closed: data stale since {iso(now - 3600)}: newest sample is 1h"
    closed = gate(home, "stale")
    assert closed.returncode == 3 and closed.stdout.splitlines()[1].startswith(f"  {since}"), closed.stdout
    assert "(more than 3 collection intervals of 60s after the collector's lag of 120s); the gate denies what it cannot judge " \
           "(gate.fail_open is false)" in closed.stdout
    opened = gate(home, "stale", "--json", SLOBOARD_GATE__FAIL_OPEN="true")
    answer = json.loads(opened.stdout)
    assert opened.returncode == 0 and (answer["allow"], answer["fail_mode"]) == (True, "fail-open")
    assert any(r.startswith(f"stale/availability: fail-open: data stale since {iso(now - 3600)}")
               and r.endswith("the gate allows what it cannot judge (gate.fail_open is true)") for r in answer["reasons"])
    assert answer["slos"][0]["newest_sample"] == iso(now - 3600) and answer["slos"][0]["trusted"] is False


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def test_an_unreachable_store_fails_closed_by_default_and_open_when_set(fleet):
    home, _ = fleet
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    closed = gate(home, "steady", SLOBOARD_DATABASE_URL=url)
    assert closed.returncode == 3, closed.stderr
    lines = closed.stdout.splitlines()
    assert lines[0] == "deny: steady (state unknown)"
    assert lines[1].startswith("  fail-closed: store unreachable (") and "127.0.0.1" in lines[1]
    assert lines[1].endswith("the gate denies what it cannot judge (gate.fail_open is false)")
    opened = gate(home, "steady", "--json", SLOBOARD_DATABASE_URL=url, SLOBOARD_GATE__FAIL_OPEN="true")
    answer = json.loads(opened.stdout)
    assert opened.returncode == 0 and (answer["allow"], answer["fail_mode"], answer["slos"]) == (True, "fail-open", [])
    assert answer["reasons"][0].startswith("fail-open: store unreachable (")


def test_an_override_opens_the_gate_until_revoked_and_is_audited(fleet):
    home, _ = fleet
    made = gate(home, "override", "frozen", "--reason", "hotfix for INC-7", "--expires", "2h")
    assert made.returncode == 0, made.stderr
    try:
        answer = json.loads(gate(home, "frozen", "--json").stdout)
        assert answer["allow"] is True and answer["state"] == "freeze"
        override = answer["override"]
        assert override["reason"] == "hotfix for INC-7" and override["by"].startswith("cli:")
        assert answer["reasons"][0] == f"override by {override['by']} until {override['expires_at']}: hotfix for INC-7"
        assert answer["reasons"][1].startswith("frozen/availability: error budget 50.0% remaining, below the freeze")
        listed = gate(home, "list").stdout.splitlines()
        assert listed == [f"{override['id']}\tfrozen\tactive\tuntil {override['expires_at']}\tby {override['by']}\t"
                          "hotfix for INC-7"]
    finally:
        revoked = gate(home, "revoke", "frozen")
    assert revoked.returncode == 0 and revoked.stdout.startswith("revoked override ")
    assert gate(home, "frozen").returncode == 3
    assert "\trevoked\t" in gate(home, "list", "--all").stdout
    store = Store.open(f"sqlite:///{home / 'var' / 'sloboard.db'}")
    try:
        assert [e.action for e in store.audit_entries(limit=None) if e.action.startswith("gate.override")] == [
            "gate.override.revoke", "gate.override"]
        assert store.check_audit().ok
    finally:
        store.close()


@pytest.mark.parametrize("args, message", [
    pytest.param(["ghost"], "error: no SLO covers service 'ghost'; known: frozen, paging, stale, steady",
                 id="a service without SLOs"),
    pytest.param(["override", "frozen", "--reason", "x", "--expires", "8d"],
                 "error: --expires: 8d is longer than gate.max_override (7d)", id="an override longer than allowed"),
    pytest.param(["override", "frozen", "--reason", "x", "--expires", "soon"], "error: --expires: 'soon' is not a",
                 id="an expiry that is no duration"),
    pytest.param(["override", "frozen", "--reason", " ", "--expires", "1h"], "error: an override needs a reason",
                 id="an empty reason"),
    pytest.param(["revoke", "steady"], "error: no active override of steady", id="nothing to revoke"),
])
def test_bad_gate_commands_are_one_line_and_exit_2(fleet, args, message):
    home, _ = fleet
    result = gate(home, *args)
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr


def test_an_invalid_spec_is_named_on_stderr_and_the_valid_ones_are_judged(fleet, tmp_path):
    home, _ = fleet
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    (copy / "specs" / "broken.yaml").write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\n")
    result = gate(copy, "steady")
    assert result.returncode == 0 and result.stdout.startswith("allow: steady")
    assert result.stderr.startswith("skipped invalid spec: ") and "broken.yaml" in result.stderr
