"""The YAML examples of README.md and docs/*.md are YAML: a CI job, a settings file or a
kustomization that a reader copies must at least parse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(page, i, text) for page in PAGES
          for i, text in enumerate(re.findall(r"^```yaml\n(.*?)^```", page.read_text(encoding="utf-8"),
                                              flags=re.DOTALL | re.MULTILINE))]


@pytest.mark.parametrize("page,index,text", BLOCKS, ids=[f"{p.name}#{i}" for p, i, _ in BLOCKS])
def test_the_yaml_example_parses(page, index, text):
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        pytest.fail(f"{page.relative_to(ROOT)}, yaml block {index}: {exc}")
    assert any(d is not None for d in documents), f"{page.relative_to(ROOT)}, yaml block {index} is empty"


def test_the_readme_has_its_ci_jobs():
    names = {page.name for page, _, _ in BLOCKS}
    assert "README.md" in names
    jobs = [yaml.safe_load(t) for p, _, t in BLOCKS if p.name == "README.md" and "gate?service=" in t]
    assert len(jobs) == 2  # GitHub Actions and GitLab CI
    assert jobs[0]["jobs"]["deploy"]["steps"][0]["name"] == "Error-budget gate"
    assert jobs[1]["deploy"]["script"][0].startswith("curl --fail-with-body")


def test_the_readme_screenshots_are_whole_pages_not_blank_ones():
    from PIL import Image  # comes with matplotlib and WeasyPrint

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shots = sorted(set(re.findall(r"\((docs/screenshot-[\w-]+\.png)\)", text)))
    assert shots == ["docs/screenshot-overview.png", "docs/screenshot-slo.png"]
    for shot in shots:
        with Image.open(ROOT / shot) as image:
            assert image.format == "PNG" and image.width == 1280 and image.height >= 800, shot
            colours = image.convert("RGB").getcolors(maxcolors=100_000)
            assert colours is not None and len(colours) > 50, f"{shot} looks blank"
            assert (ROOT / shot).stat().st_size < 200_000, f"{shot} is large: run tools/docs_screenshots.py"
