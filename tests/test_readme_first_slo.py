"""README's "Your first SLO" example is a spec that `sloboard validate` accepts without a
warning, with the id the README's comment says it has."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import run

README = Path(__file__).resolve().parents[1] / "README.md"


def first_slo_yaml() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Your first SLO\n", 1)
    assert len(section) == 2, "README.md has no section '## Your first SLO'"
    body = section[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", body, flags=re.DOTALL)
    assert len(blocks) == 1, f"expected one yaml block in the section, found {len(blocks)}"
    return blocks[0]


def test_the_readme_example_validates_cleanly_with_the_id_it_promises(tmp_path):
    text = first_slo_yaml()
    spec = tmp_path / "shop.yaml"
    spec.write_text(text, encoding="utf-8")
    result = run(["validate", str(spec)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 file(s), 1 valid SLO(s), 0 error(s), 0 warning(s)" in result.stdout + result.stderr
    promised = re.search(r"the SLO's id is <spec.service>/<metadata.name>: (\S+)", text).group(1)
    assert f"valid: {promised} ({spec})" in result.stdout


def test_the_readme_example_names_what_is_required():
    text = first_slo_yaml()
    for required in ("budgetingMethod: Occurrences  # required", "metricSourceRef: prometheus", "kind: DataSource",
                     "type: Prometheus        # required", "counter: true"):
        assert required in text
