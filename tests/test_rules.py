"""``sloboard rules``: the generated rule files are pinned by golden files, count events as
the collector does, and skip what they cannot count with a one-line reason and exit 2.

``SLOBOARD_REGENERATE_GOLDEN=1 pytest tests/test_rules.py`` rewrites the golden files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from collectors.promql import per_step_count_query
from sloboard.cli import cli, main
from tests.test_cli import GOOD_SPEC
from sloboard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE_ENV = "SLOBOARD_REGENERATE_GOLDEN"
BASE_URL = "https://sloboard.example.com"
SPEC_DIRS = {"demo": ROOT / "slo_specs", "fixtures": ROOT / "tests" / "rules_fixtures"}


def run_rules(specs_dir: Path, *args: str, **env: str):
    """``sloboard rules ARGS`` with only this test's settings."""
    environ = {k: None for k in os.environ if k.startswith("SLOBOARD_")}
    environ.update(SLOBOARD_SPECS_DIR=str(specs_dir), SLOBOARD_DASHBOARD__BASE_URL=BASE_URL, **env)
    return CliRunner().invoke(cli, ["rules", *args], env=environ, catch_exceptions=False)


def _check(output: str, golden: Path) -> None:
    if os.environ.get(REGENERATE_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text()


@pytest.mark.parametrize("specs", sorted(SPEC_DIRS))
@pytest.mark.parametrize("fmt", ["prometheus", "prometheus-operator"])
def test_rules_equal_the_golden_file(specs, fmt):
    result = run_rules(SPEC_DIRS[specs], "--format", fmt)
    assert result.exit_code == 0, result.output
    _check(result.stdout, GOLDEN / f"rules_{specs}_{fmt}.yaml")


def _doc(stdout: str) -> dict:
    return yaml.safe_load(stdout)


def _rules_of(doc: dict, slo_id: str) -> list[dict]:
    return [r for g in doc["groups"] if g["name"].startswith(f"sloboard/{slo_id}") for r in g["rules"]]


def test_counts_are_the_collectors_own_per_step_queries_summed_per_group():
    doc = _doc(run_rules(SPEC_DIRS["fixtures"]).stdout)
    (slo,) = [s for s in load_specs([SPEC_DIRS["fixtures"]]).slos if s.id == "api/api-errors"]
    by_name = {r["record"]: r["expr"] for r in _rules_of(doc, "api/api-errors") if "record" in r}
    step = per_step_count_query(slo.indicator.total, slo.indicator.mode, 60, 300)
    assert by_name["slo:sloboard_total:step_count"] == f"sum by (route) ({step})"
    assert by_name["slo:sloboard_bad:step_count"].startswith("sum by (route) (")
    # Grouped: every join keeps the groups apart.
    assert "on(route)" in by_name["slo:sloboard_errors:step_count"]


def test_long_windows_are_sums_of_recorded_step_counts_not_averages_of_ratios():
    doc = _doc(run_rules(SPEC_DIRS["demo"]).stdout)
    by_name = {r["record"]: r["expr"] for r in _rules_of(doc, "checkout/availability") if "record" in r}
    sel = '{slo="checkout/availability"}'
    three_days_ms = 3 * 86400 * 1000 - 1
    assert by_name["slo:sloboard_error_ratio:3d"] == (
        f"sum_over_time(slo:sloboard_errors:step_count{sel}[{three_days_ms}ms])"
        f" / sum_over_time(slo:sloboard_total:step_count{sel}[{three_days_ms}ms])")
    assert f"[{28 * 86400 * 1000 - 1}ms]" in by_name["slo:sloboard_sli:ratio"]
    assert not any("avg_over_time" in e or "count_over_time" in e for e in by_name.values())
    assert by_name["slo:sloboard_objective:ratio"] == "vector(0.999)"


def test_every_alert_window_of_the_spec_becomes_an_alert_with_labels_and_a_dashboard_link():
    doc = _doc(run_rules(SPEC_DIRS["demo"]).stdout)
    for slo in load_specs([SPEC_DIRS["demo"]]).slos:
        alerts = [r for r in _rules_of(doc, slo.id) if "alert" in r]
        burns = [a for a in alerts if a["alert"] == "SLOErrorBudgetBurn"]
        assert [(a["labels"]["severity"], a["labels"]["long_window"], a["labels"]["short_window"]) for a in burns] == [
            (w.severity.value, *(f"{int(d.total_seconds()) // 3600}h" if d.total_seconds() % 86400 else
                                 f"{int(d.total_seconds()) // 86400}d" for d in (w.long,)),
             *(f"{int(w.short.total_seconds()) // 60}m" if w.short.total_seconds() < 3600 else
               f"{int(w.short.total_seconds()) // 3600}h",)) for w in slo.alert_windows]
        assert [a["alert"] for a in alerts].count("SLOIndicatorAbsent") == 1
        for alert in alerts:
            assert {k: alert["labels"][k] for k in ("slo", "service", "team")} == {
                "slo": slo.id, "service": slo.service, "team": slo.team}
            assert alert["annotations"]["dashboard"] == f"{BASE_URL}/slo/{slo.id}"
            assert alert["for"] and alert["annotations"]["summary"].startswith(slo.id)
        for alert in burns:
            assert "$value" in alert["annotations"]["burn_rate"]


def test_payments_custom_table_gives_its_extra_ticket_alert():
    doc = _doc(run_rules(SPEC_DIRS["demo"], "--slo", "payments/availability").stdout)
    windows = [(a["labels"]["severity"], a["labels"]["long_window"]) for a in doc["groups"][0]["rules"]
               if a.get("alert") == "SLOErrorBudgetBurn"]
    assert windows == [("page", "1h"), ("page", "6h"), ("ticket", "1d"), ("ticket", "3d")]


def test_a_calendar_window_keeps_its_alerts_and_says_why_it_has_no_sli_rule():
    result = run_rules(SPEC_DIRS["demo"])
    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if "payments/availability" in line]
    assert len(notes) == 1 and "calendar boundary" in notes[0]
    names = {r.get("record") for r in _rules_of(_doc(result.stdout), "payments/availability")}
    assert "slo:sloboard_sli:ratio" not in names and "slo:sloboard_error_ratio:1h" in names


def test_a_spec_that_cannot_be_counted_is_skipped_with_one_line_and_exit_2(tmp_path):
    shutil.copy(ROOT / "tests" / "rules_unsupported" / "counter-with-rate.yaml", tmp_path)
    for name in ("checkout.yaml", "prometheus.yaml"):  # checkout's DataSource is in prometheus.yaml
        shutil.copy(ROOT / "slo_specs" / name, tmp_path)
    result = run_rules(tmp_path)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skipped legacy/availability (")
    assert "already has a range" in lines[0]
    groups = [g["name"] for g in _doc(result.stdout)["groups"]]
    assert groups and all(name.startswith("sloboard/checkout/") for name in groups)


def test_an_invalid_spec_is_skipped_too(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n")
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(ROOT / "slo_specs" / name, tmp_path)
    result = run_rules(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("skipped invalid spec: ") and "bad.yaml" in result.stderr


def test_one_slo_as_a_prometheus_rule_resource_written_to_a_file(tmp_path):
    out = tmp_path / "rules.yaml"
    result = run_rules(SPEC_DIRS["demo"], "--slo", "checkout/latency", "--format", "prometheus-operator",
                       "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    doc = yaml.safe_load(out.read_text())
    assert (doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) == (
        "monitoring.coreos.com/v1", "PrometheusRule", "sloboard-checkout-latency")
    assert [g["name"] for g in doc["spec"]["groups"]] == ["sloboard/checkout/latency",
                                                          "sloboard/checkout/latency/slo-window"]


def run_main(monkeypatch, capsys, specs_dir: Path, *args: str, base_url: str = BASE_URL):
    """``sloboard rules ARGS`` through the console entry point, which maps errors to exit codes."""
    for name in [k for k in os.environ if k.startswith("SLOBOARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLOBOARD_SPECS_DIR", str(specs_dir))
    monkeypatch.setenv("SLOBOARD_DASHBOARD__BASE_URL", base_url)
    with pytest.raises(SystemExit) as exited:
        main(["rules", *args])
    return exited.value.code, capsys.readouterr()


def test_an_unknown_slo_is_bad_input(monkeypatch, capsys):
    code, out = run_main(monkeypatch, capsys, SPEC_DIRS["demo"], "--slo", "nope/nothing")
    assert code == 2 and out.out == ""
    assert out.err.startswith("error: no SLO with id 'nope/nothing'; known SLOs: checkout/availability")


def test_a_base_url_that_is_not_http_is_refused(monkeypatch, capsys):
    code, out = run_main(monkeypatch, capsys, SPEC_DIRS["demo"], base_url="sloboard.example.com")
    assert code == 2 and out.out == ""
    assert "dashboard.base_url" in out.err and "is not an http(s) URL" in out.err


def test_a_grouped_bool_gauge_gets_one_set_of_rules_and_a_note_saying_so(tmp_path):
    text = (SPEC_DIRS["fixtures"] / "pyrra-grouped-and-bool.yaml").read_text().split("---\n")[1]
    (tmp_path / "probe.yaml").write_text(text.replace("      metric: probe_success",
                                                      "      grouping: [instance]\n      metric: probe_success"))
    result = run_rules(tmp_path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"note: site/blackbox-probe ({tmp_path / 'probe.yaml'}:1): one set of rules for all of its groups "
        "(instance), since its bool_gauge counts sum every series"]
    exprs = [r["expr"] for r in _doc(result.stdout)["groups"][0]["rules"][:3]]
    assert not any("by (instance)" in e or "on(instance)" in e for e in exprs)


def test_the_dashboard_base_url_loses_its_trailing_slash(monkeypatch):
    from sloboard.settings import load_settings

    monkeypatch.setenv("SLOBOARD_DASHBOARD__BASE_URL", "https://sloboard.example.com/")
    assert load_settings().dashboard.base_url == "https://sloboard.example.com"


def _slice_spec(method: str, slices: str) -> str:
    """The CLI tests' shop/availability over 7 days, budgeted by ``method`` with ``slices``."""
    spec = GOOD_SPEC.replace("budgetingMethod: Occurrences", f"budgetingMethod: {method}")
    spec = spec.replace("    - target: 0.99\n", f"    - target: 0.9{slices}\n").replace("duration: 28d", "duration: 7d")
    assert method in spec and "7d" in spec
    return spec


def test_one_step_time_slices_are_recorded_and_the_sli_is_their_mean(tmp_path):
    (tmp_path / "shop.yaml").write_text(_slice_spec("Timeslices", "\n      timeSliceTarget: 0.98\n      timeSliceWindow: 1m"))
    result = run_rules(tmp_path)
    assert result.exit_code == 0 and result.stderr == ""
    by_name = {r["record"]: r["expr"] for r in _rules_of(_doc(result.stdout), "shop/availability") if "record" in r}
    sel = '{slo="shop/availability"}'
    assert by_name["slo:sloboard_slice_good:step"] == (
        f"(slo:sloboard_total:step_count{sel} - slo:sloboard_errors:step_count{sel})"
        f" / (slo:sloboard_total:step_count{sel} > 0) >= bool 0.98")
    assert by_name["slo:sloboard_sli:ratio"] == f"avg_over_time(slo:sloboard_slice_good:step{sel}[{7 * 86400 * 1000 - 1}ms])"


def test_ratio_time_slices_of_one_step_record_each_steps_ratio(tmp_path):
    (tmp_path / "shop.yaml").write_text(_slice_spec("RatioTimeslices", "\n      timeSliceWindow: 1m"))
    by_name = {r["record"]: r["expr"] for r in _rules_of(_doc(run_rules(tmp_path).stdout), "shop/availability")
               if "record" in r}
    assert by_name["slo:sloboard_slice_good:step"].endswith("/ (slo:sloboard_total:step_count{slo=\"shop/availability\"} > 0)")


def test_longer_time_slices_keep_their_alerts_and_say_why_they_have_no_sli_rule(tmp_path):
    (tmp_path / "shop.yaml").write_text(_slice_spec("Timeslices", "\n      timeSliceTarget: 0.98\n      timeSliceWindow: 5m"))
    result = run_rules(tmp_path)
    assert result.exit_code == 0
    (note,) = result.stderr.splitlines()
    assert "its 5m time slices are longer than the 60 s step" in note and "partial" in note
    names = {r.get("record") for r in _rules_of(_doc(result.stdout), "shop/availability")}
    assert names.isdisjoint({"slo:sloboard_sli:ratio", "slo:sloboard_slice_good:step"})
    assert "slo:sloboard_error_ratio:1h" in names
