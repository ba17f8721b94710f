"""``sloboard validate`` on Sloth's and Pyrra's files as their own tools accept them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOREIGN = ROOT / "tests" / "specs_fixtures" / "foreign_forms"


def validate(tmp_path: Path, *paths: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    env.update(SLOBOARD_DATA_DIR=str(tmp_path / "var"))
    return subprocess.run([sys.executable, "-m", "sloboard", "validate", *map(str, paths)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_a_folder_of_foreign_forms_validates_with_warnings_and_exit_0(tmp_path):
    result = validate(tmp_path, FOREIGN)
    assert result.returncode == 0, result.stderr
    valid = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("valid: "))
    assert valid == ["caddy/caddy-response-latency", "k8s-apiserver/requests-availability-openslo",
                     "k8s-apiserver/requests-latency-openslo-0", "k8s-apiserver/requests-latency-openslo-1",
                     "kube-system/kubelet-request-errors", "lastfm/nginx-api-errors",
                     "myservice-k8s/requests-availability", "myservice/requests-availability",
                     "web/web-availability-minutely"]
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(FOREIGN))]
    assert len(problems) == 5 and all(": warning: " in line for line in problems), result.stderr
    assert (f"{FOREIGN / 'sloth-labels-and-typo.yml'}:29: slos[0].alerting.pageAlert: warning: unknown field "
            "'pageAlert'; did you mean 'page_alert'? (ignored: Sloth ignores unknown fields)") in problems
    assert "7 file(s), 9 valid SLO(s), 0 error(s), 5 warning(s)" in result.stdout


def test_an_unknown_field_does_not_hide_an_unsupported_slo_in_the_same_run(tmp_path):
    spec = tmp_path / "sloth.yml"
    spec.write_text(textwrap.dedent("""
        version: "prometheus/v1"
        service: myservice
        slos:
          - name: ratio
            objective: 99
            sli:
              plugin:
                id: sloth-common/kubernetes/apiserver/availability
            alerting:
              pageAlert: {disable: true}
        """).lstrip("\n"), encoding="utf-8")
    result = validate(tmp_path, spec)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(spec))]
    assert lines == [
        f"{spec}:7: slos[0].sli.plugin: plugin SLIs are not supported by sloboard: a plugin is Go code "
        "that Sloth runs, so its queries are unknown; write the SLI as events with error_query and "
        "total_query, or as raw with the error ratio query",
        f"{spec}:10: slos[0].alerting.pageAlert: warning: unknown field 'pageAlert'; did you mean 'page_alert'? "
        "(ignored: Sloth ignores unknown fields)",
    ]
