"""Every relative link in README.md and docs/*.md points at a file of the repository, and a
link to a heading (``file.md#anchor``) at a heading that file has, as GitHub names it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """GitHub's id of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # a '# comment' in a code block is no heading
    return {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


CASES = [(page, target) for page in PAGES for target in links(page)]


@pytest.mark.parametrize("page,target", CASES, ids=[f"{p.name} -> {t}" for p, t in CASES])
def test_the_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{page.relative_to(ROOT)}: {target} points at a missing file"
    if anchor and resolved.suffix == ".md":
        assert anchor in anchors(resolved), f"{page.relative_to(ROOT)}: {resolved.name} has no heading #{anchor}"


def test_anchors_are_named_as_github_names_them():
    assert github_anchor("`sloboard db upgrade`") == "sloboard-db-upgrade"
    assert github_anchor("Point it at your Prometheus, Thanos or Mimir") == "point-it-at-your-prometheus-thanos-or-mimir"
    assert github_anchor("How events are counted: exact on real scrapes") == "how-events-are-counted-exact-on-real-scrapes"
