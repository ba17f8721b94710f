"""The generated rules pass Prometheus's own checks: ``promtool check rules`` on the rules
of every spec folder, and ``promtool test rules`` with series that must fire the page
alerts and series that must not, for a ratio and a latency SLO."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from collectors.rules import RuleOptions, generate
from sloboard.specs import load_specs
from tests.missing import missing

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIRS = [ROOT / "slo_specs", ROOT / "tests" / "specs_fixtures" / "foreign_forms",
             ROOT / "tests" / "specs_fixtures" / "real_world", ROOT / "tests" / "rules_fixtures"]
OPTIONS = RuleOptions(step_s=60, lookback_s=300, dashboard_url="https://sloboard.example.com")


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        missing("promtool must be on PATH (Debian: apt-get install prometheus)")
    return found


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("specs", SPEC_DIRS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_promtool_accepts_the_rules_of_every_spec(promtool, specs, tmp_path):
    loaded = load_specs([specs])
    assert loaded.slos and not loaded.errors
    plain, ruleset = generate(loaded.slos, OPTIONS, "prometheus")
    operator, _ = generate(loaded.slos, OPTIONS, "prometheus-operator")
    assert ruleset.skipped == []
    (tmp_path / "plain.yml").write_text(plain)
    # The resource's spec.groups is a rule file's content, as the operator writes it out.
    (tmp_path / "operator.yml").write_text(yaml.safe_dump({"groups": yaml.safe_load(operator)["spec"]["groups"]}))
    for name in ("plain.yml", "operator.yml"):
        done = _promtool(promtool, "check", "rules", str(tmp_path / name))
        assert done.returncode == 0, done.stdout + done.stderr
        rules = sum(len(g["rules"]) for g in yaml.safe_load(plain)["groups"])
        assert f"SUCCESS: {rules} rules found" in done.stdout


def _labels(slo_id: str, severity: str, long_: str, short: str) -> dict:
    return {"slo": slo_id, "service": "checkout", "team": "storefront", "severity": severity,
            "long_window": long_, "short_window": short}


def _page_alerts(slo_id: str, rate: tuple[str, str]) -> list[dict]:
    """Both page alerts of the default table, firing at burn rate ``rate`` (printed %.1f, %.2f)."""
    out = []
    for long_, short, threshold in (("1h", "5m", "14.4"), ("6h", "30m", "6")):
        out.append({"exp_labels": _labels(slo_id, "page", long_, short), "exp_annotations": {
            "summary": f"{slo_id} is spending its error budget {rate[0]}x as fast as its objective allows "
                       f"(threshold {threshold}x over {long_} and {short})",
            "burn_rate": rate[1], "dashboard": f"https://sloboard.example.com/slo/{slo_id}"}})
    return out


def _series(pairs: tuple[tuple[str, str], ...]) -> list[dict]:
    return [{"series": series, "values": values} for series, values in pairs]


def _unit_test(slo_id: str, burning: tuple, calm: tuple, rate: tuple[str, str], ratio_1h: float) -> dict:
    """A ``promtool test rules`` file: a burn that pages, one that must not, and no data at all."""
    return {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {"name": "a burn far above 14.4x pages on both page alerts, the ticket still waits",
             "interval": "1m",
             "input_series": _series(burning),
             "alert_rule_test": [
                 {"alertname": "SLOErrorBudgetBurn", "eval_time": "2m"},  # pending: for 2m30s
                 {"alertname": "SLOErrorBudgetBurn", "eval_time": "30m", "exp_alerts": _page_alerts(slo_id, rate)},
                 {"alertname": "SLOIndicatorAbsent", "eval_time": "30m"}],
             "promql_expr_test": [
                 {"expr": f'slo:sloboard_error_ratio:1h{{slo="{slo_id}"}}', "eval_time": "30m",
                  "exp_samples": [{"labels": f'slo:sloboard_error_ratio:1h{{service="checkout",slo="{slo_id}",'
                                             f'team="storefront"}}', "value": ratio_1h}]}]},
            {"name": "a burn below every threshold does not alert",
             "interval": "1m",
             "input_series": _series(calm),
             "alert_rule_test": [{"alertname": "SLOErrorBudgetBurn", "eval_time": t} for t in ("10m", "30m", "3h")]},
            {"name": "no data for the SLO raises the absent-data ticket",
             "interval": "1m",
             "input_series": [{"series": 'up{job="other"}', "values": "1+0x30"}],
             "alert_rule_test": [
                 {"alertname": "SLOIndicatorAbsent", "eval_time": "5m"},  # pending: for 10m
                 {"alertname": "SLOIndicatorAbsent", "eval_time": "15m", "exp_alerts": [{
                     "exp_labels": {"slo": slo_id, "service": "checkout", "team": "storefront", "severity": "ticket"},
                     "exp_annotations": {
                         "summary": f"{slo_id} has no data: its total query has returned nothing for 10m, "
                                    "so its burn-rate alerts cannot fire",
                         "dashboard": f"https://sloboard.example.com/slo/{slo_id}"}}]},
                 {"alertname": "SLOErrorBudgetBurn", "eval_time": "15m"}]},
        ],
    }


OK = 'http_requests_total{service="checkout",code="200"}'
FAILED = 'http_requests_total{service="checkout",code="500"}'
FAST = 'http_request_duration_seconds_bucket{service="checkout",le="0.25"}'
ALL = 'http_request_duration_seconds_count{service="checkout"}'
CASES = [
    # 600 good requests a minute and 60 5xx: 60 / 660 bad, 90.9x a 0.1 % budget; calm: 0.3 a minute, 0.5x.
    pytest.param("checkout/availability", ((OK, "0+600x240"), (FAILED, "0+60x240")),
                 ((OK, "0+600x240"), (FAILED, "0+0.3x240")), ("90.9", "90.91"), 60 / 660, id="ratio SLO"),
    # 600 requests a minute, 500 within 250 ms: 1/6 slow, 16.7x a 1 % budget; calm: 1 slow a minute, 0.17x.
    pytest.param("checkout/latency", ((FAST, "0+500x240"), (ALL, "0+600x240")),
                 ((FAST, "0+599x240"), (ALL, "0+600x240")), ("16.7", "16.67"), 100 / 600, id="latency SLO"),
]


@pytest.mark.parametrize("slo_id, burning, calm, rate, ratio_1h", CASES)
def test_promtool_unit_tests_page_on_a_burn_and_stay_quiet_without_one(
        promtool, tmp_path, slo_id, burning, calm, rate, ratio_1h):
    text, _ = generate(load_specs([ROOT / "slo_specs"]).slos, OPTIONS, "prometheus", slo_id)
    (tmp_path / "rules.yml").write_text(text)
    test = _unit_test(slo_id, burning, calm, rate, ratio_1h)
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    done = _promtool(promtool, "test", "rules", str(tmp_path / "test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
