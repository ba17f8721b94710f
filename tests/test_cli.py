"""The ``sloboard`` command as users meet it: exit codes, messages, help, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sloboard.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SLOBOARD = [sys.executable, "-m", "sloboard"]

GOOD_SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: shop
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: shop-availability
    spec:
      ratioMetric:
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="shop",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="shop"})
"""


def run(args, tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    environment.update(SLOBOARD_DATA_DIR=str(tmp_path / "var"), SLOBOARD_SPECS_DIR=str(ROOT / "slo_specs"), **env)
    return subprocess.run(SLOBOARD + args, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120)


def test_demo_specs_validate_clean(tmp_path):
    result = run(["validate"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stderr + result.stdout
    assert "valid: checkout/availability" in result.stdout


def test_bad_specs_give_one_line_per_problem_and_exit_2_yet_list_the_valid_ones(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "good.yaml").write_text(GOOD_SPEC)
    (specs / "objective.yaml").write_text(GOOD_SPEC.replace("target: 0.99", "target: 1.5").replace("shop", "cart"))
    (specs / "typo.yaml").write_text(GOOD_SPEC.replace("budgetingMethod", "budgetMethod").replace("shop", "api"))
    (specs / "broken.yaml").write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: [\n")
    (specs / "empty.yaml").write_text("")
    result = run(["validate", str(specs)], tmp_path)
    assert result.returncode == 2
    assert "valid: shop/availability" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(specs))]
    by_file = {Path(line.split(":", 1)[0]).name: line for line in lines}
    assert set(by_file) == {"objective.yaml", "typo.yaml", "broken.yaml", "empty.yaml"}
    assert by_file["objective.yaml"].startswith(f"{specs / 'objective.yaml'}:9: spec.objectives[0].target:")
    assert "budgetMethod" in by_file["typo.yaml"] and f"{specs / 'typo.yaml'}:7:" in by_file["typo.yaml"]
    assert "Traceback" not in result.stderr


def test_status_of_an_empty_store_says_no_data_not_zero(tmp_path):
    table = run(["status"], tmp_path)
    assert table.returncode == 0, table.stderr
    assert "no data" in table.stdout and "0.000%" not in table.stdout
    report = json.loads(run(["status", "--json", "--at", "2026-11-20T12:00:00Z"], tmp_path).stdout)
    assert report["at"] == "2026-11-20T12:00:00Z"
    assert {s["id"] for s in report["slos"]} >= {"checkout/availability", "search/latency"}
    for slo in report["slos"]:
        assert slo["sli"] is None and slo["budget_remaining"] is None and slo["data_completeness"] is None
    assert report["dora"] == [] and report["cost"] == []


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(["status", "--slo", "nope/none"], "no SLO with id 'nope/none'", id="unknown SLO id"),
        pytest.param(["status", "--at", "yesterday"], "is not a time", id="unparseable time"),
        pytest.param(["status", "--at", "99999999999999"], "'99999999999999' is out of range", id="time past year 9999"),
        pytest.param(["collect", "--until", "now-99999999999d"], "is out of range", id="time before the epoch"),
        pytest.param(["deploy", "record", "--service", "s", "--version", "1", "--status", "failed",
                      "--started", "1e99"], "is not a time", id="deploy time that is no time"),
        pytest.param(["deploy", "record", "--service", "s", "--version", "1", "--status", "failed",
                      "--committed", "99999999999999"], "is out of range", id="deploy commit time out of range"),
        pytest.param(["collect", "--since", "forever"], "--since:", id="unparseable duration"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = run(args, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_settings_file_is_a_clear_error(tmp_path):
    cfg = tmp_path / "sloboard.yaml"
    cfg.write_text("prometheus:\n  timeout_s: -1\n")
    result = run(["--config", str(cfg), "status"], tmp_path)
    assert result.returncode == 2
    assert f"{cfg}: prometheus.timeout_s:" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_a_failure_not_a_traceback(tmp_path):
    result = run(["status"], tmp_path, SLOBOARD_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_deploy_record_is_idempotent_and_counted_in_status(tmp_path):
    args = ["deploy", "record", "--service", "checkout", "--version", "v1.2.3", "--status", "rolled_back",
            "--started", "2026-11-20T10:00:00Z", "--finished", "2026-11-20T10:05:00Z"]
    first, second = run(args, tmp_path), run(args, tmp_path)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr
    assert first.stdout.startswith("recorded") and second.stdout.startswith("already recorded")
    report = json.loads(run(["status", "--json", "--at", "2026-11-21T00:00:00Z"], tmp_path).stdout)
    week = next(d for d in report["dora"] if d["service"] == "checkout" and d["window"] == "7d")
    assert (week["deployments"], week["rolled_back"], week["change_failure_rate"]) == (1, 1, 1.0)


def test_cost_import_shows_in_status_and_is_idempotent(tmp_path):
    bill = tmp_path / "bill.csv"
    bill.write_text("date,service,usd\n2026-11-18,checkout,10\n2026-11-19,checkout,5.5\n2026-11-19,search,2\n")
    for _ in range(2):
        result = run(["cost", "import", str(bill)], tmp_path)
        assert result.returncode == 0, result.stderr
    report = json.loads(run(["status", "--json", "--at", "2026-11-20T00:00:00Z"], tmp_path).stdout)
    cost = {(c["scope"], c["window"]): c["usd"] for c in report["cost"]}
    assert cost[("service:checkout", "7d")] == pytest.approx(15.5)
    assert cost[("service:checkout", "1d")] == pytest.approx(5.5)
    assert cost[("total", "7d")] == pytest.approx(17.5)
    assert cost[("team:storefront", "7d")] == pytest.approx(15.5)  # checkout's team in slo_specs/


def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_and_option_explains_itself():
    missing = []
    for path, command in _commands(cli):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_help_starts_without_heavy_imports():
    code = "import sys; from sloboard.cli import main; sys.argv=['sloboard','--help']\ntry:\n main()\nexcept SystemExit: pass\nheavy=[m for m in ('pandas','numpy','dash','weasyprint','sqlalchemy','plotly') if m in sys.modules]\nprint('HEAVY', heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out
    assert "validate" in out and "status" in out


def test_audit_verify_passes_and_then_catches_tampering(tmp_path):
    import sqlite3

    args = ["deploy", "record", "--service", "search", "--version", "v1", "--status", "succeeded", "--started", "now"]
    assert run(args, tmp_path).returncode == 0
    ok = run(["audit", "verify"], tmp_path)
    assert ok.returncode == 0 and "intact" in ok.stdout
    with sqlite3.connect(tmp_path / "var" / "sloboard.db") as db:
        db.execute("UPDATE audit_log SET payload = replace(payload, 'v1', 'v2')")
    broken = run(["audit", "verify"], tmp_path)
    assert broken.returncode == 1 and "broken at entry" in broken.stderr


def _demo_settings(tmp_path) -> dict:
    import yaml

    return yaml.safe_load((tmp_path / "var" / "demo-settings.yaml").read_text())


def test_status_after_the_demo_reads_the_demo_store_and_its_budgets(tmp_path):
    seeded = run(["demo", "--no-serve", "--days", "2"], tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    result = run(["status", "--json"], tmp_path)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert all(s["sli"] is not None and 0.9 < s["sli"] <= 1 for s in report["slos"]), report["slos"]
    budgets = _demo_settings(tmp_path)["cost"]["budgets_usd"]
    shown = {c["scope"]: c["budget_usd"] for c in report["cost"] if c["window"] == "month"}
    assert {scope: shown[scope] for scope in budgets} == budgets
    assert sum(usd for scope, usd in budgets.items() if scope.startswith("service:")) <= budgets["total"]
    assert set(budgets) == {"total", "service:checkout", "service:payments", "service:search"}


def test_an_empty_store_beside_another_one_is_named_on_stderr(tmp_path):
    other = tmp_path / "var" / "demo.db"
    recorded = run(["deploy", "record", "--service", "search", "--version", "v1", "--status", "succeeded"], tmp_path,
                   SLOBOARD_DATABASE_URL=f"sqlite:///{other}")
    assert recorded.returncode == 0, recorded.stderr
    result = run(["status"], tmp_path)
    assert result.returncode == 0
    assert result.stderr.startswith(f"warning: the store sqlite:///{tmp_path / 'var' / 'sloboard.db'} is empty, "
                                    f"but {other} is in the data dir; to use it, set SLOBOARD_DATABASE_URL=sqlite:///{other}")
    assert "warning" not in run(["status"], tmp_path, SLOBOARD_DATABASE_URL=f"sqlite:///{other}").stderr


def test_the_demo_leaves_a_store_with_data_of_its_own_alone(tmp_path):
    args = ["deploy", "record", "--service", "search", "--version", "v1", "--status", "succeeded",
            "--started", "2026-11-20T10:00:00Z"]
    assert run(args, tmp_path).returncode == 0
    result = run(["demo", "--no-serve", "--days", "1"], tmp_path)
    assert result.returncode == 2
    assert "sloboard.db holds data that `sloboard demo` did not write" in result.stderr
    assert run(args, tmp_path).stdout.startswith("already recorded")  # the store is untouched


def test_a_second_demo_replaces_its_own_store_and_keeps_its_token(tmp_path):
    assert run(["demo", "--no-serve", "--days", "1"], tmp_path).returncode == 0
    token = _demo_settings(tmp_path)["api_tokens"]["demo"]
    again = run(["demo", "--no-serve", "--days", "1", "--seed", "3"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert _demo_settings(tmp_path)["api_tokens"]["demo"] == token and len(token) >= 20


def test_serving_the_demo_store_later_says_that_the_demo_token_is_accepted(tmp_path):
    assert run(["demo", "--no-serve", "--days", "1"], tmp_path).returncode == 0
    result = run(["serve", "--host", "203.0.113.1"], tmp_path)  # not this machine: serve fails after the note
    assert result.stderr.startswith(f"note: using the demo's settings in {tmp_path / 'var' / 'demo-settings.yaml'} "
                                    "(its budgets, and its API token is accepted)"), result.stderr
