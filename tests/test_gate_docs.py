"""docs/deploy-gate.md as a pipeline author copies it: each YAML block parses, and every
``sloboard ...`` command in them and in its examples is one the real CLI accepts."""

from __future__ import annotations

import re
import shlex

import yaml

from tests.cli_commands import parse_sloboard
from tests.test_cli import ROOT

DOC = ROOT / "docs" / "deploy-gate.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_yaml_blocks_parse_and_show_github_actions_and_gitlab_ci_with_sloboard_gate():
    blocks = [yaml.safe_load(text) for text in _blocks("yaml")]
    jobs = [b for b in blocks if "jobs" in b]
    gitlab = [b for b in blocks if "jobs" not in b and "metadata" not in b]
    assert any("sloboard gate checkout" in str(b) for b in jobs), "a GitHub Actions step runs sloboard gate"
    assert any("sloboard gate checkout" in str(b) for b in gitlab), "a GitLab CI job runs sloboard gate"
    assert any("/api/v1/gate?service=checkout" in str(b) for b in jobs + gitlab), "and curl asks the API"


def test_every_sloboard_command_in_the_doc_parses_with_the_real_cli():
    text = "\n".join(_blocks("yaml") + _blocks("sh") + _blocks("text"))
    commands = re.findall(r"(sloboard (?:gate|token) [^\n#`]+)", text)
    assert len(commands) >= 6, commands
    for command in commands:
        parse_sloboard(shlex.split(command.strip()))
