"""SAST in CI: bandit over the product's code fails the suite on any high-severity finding.

Medium findings are left to review: today they are B608 on SQL built from the store's own
table names (never from input; the values are bound parameters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.missing import missing

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["sloboard", "collectors", "dashboard", "reports"]


def high_severity_scan(paths: list[str], cwd: Path, out: Path) -> tuple[list[str], dict, int]:
    """bandit over ``paths`` at high severity: the findings as lines, the JSON report, the exit code."""
    try:
        import bandit  # noqa: F401
    except ImportError:
        missing("bandit is not installed: pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", "bandit", "-r", *paths, "--severity-level", "high",
                             "-f", "json", "-o", str(out), "-q"], cwd=cwd, capture_output=True, text=True, timeout=300)
    report = json.loads(out.read_text())
    findings = [f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_text']}" for r in report["results"]]
    return findings, report, result.returncode


def test_bandit_finds_nothing_of_high_severity(tmp_path):
    findings, report, returncode = high_severity_scan(PRODUCT, ROOT, tmp_path / "bandit.json")
    assert not findings, "\n".join(findings)
    assert returncode == 0
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it scanned the product, not an empty folder


def test_the_scan_fails_on_a_high_severity_finding_and_not_on_a_medium_one(tmp_path):
    """The gate itself: a shell command built from input (B602, high) fails it; yaml.load (B506, medium) does not."""
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "medium.py").write_text("import yaml\n\ndef read(text):\n    return yaml.load(text)\n")
    findings, _, returncode = high_severity_scan(["planted"], tmp_path, tmp_path / "medium.json")
    assert findings == [] and returncode == 0
    (planted / "high.py").write_text("import subprocess\n\ndef run(name):\n"
                                     "    return subprocess.call('ls ' + name, shell=True)\n")
    findings, _, returncode = high_severity_scan(["planted"], tmp_path, tmp_path / "high.json")
    assert [f.split(": ", 1)[1].split()[0] for f in findings] == ["B602"] and returncode == 1, findings
