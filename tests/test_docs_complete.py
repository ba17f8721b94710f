"""Every CLI command, every option of each and every setting is documented in docs/ or the
README, and the generated references (docs/cli.md, docs/configuration.md) match the code.

Commands are walked from the click group itself, so a command another module registers
is held to the same rule the moment it is added: ``python -m sloboard.cli_reference --write``
documents it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sloboard import cli_reference, settings_reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _all_docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def _sections(text: str) -> dict[str, str]:
    """docs/cli.md's sections by heading: ``sloboard db upgrade`` -> its help text."""
    parts = re.split(r"^## `([^`]+)`$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


COMMANDS = list(cli_reference.commands())


def test_the_command_reference_is_up_to_date():
    # A fresh interpreter: click caches each command's help option once made, and a test
    # that invokes a subcommand on its own (without the group's -h) changes what it prints.
    done = subprocess.run([sys.executable, "-m", "sloboard.cli_reference", "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_walk_finds_commands_registered_from_other_modules():
    words = {" ".join(path) for path, _ in COMMANDS}
    # user, token, audit and report come from cli_*.py modules through cli.add_command.
    assert {"sloboard user add", "sloboard token create", "sloboard audit verify", "sloboard db upgrade",
            "sloboard demo exporter"} <= words


def undocumented(section: str, command: click.Command) -> list[str]:
    """The options and arguments of ``command`` that its help ``section`` does not name."""
    gaps = []
    for param in command.params:
        names = (param.opts + param.secondary_opts if isinstance(param, click.Option)
                 else [param.human_readable_name])
        gaps += [name for name in names if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", section)]
    return gaps


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_and_each_of_its_options_is_documented(path, command):
    sections = _sections((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"))
    words = " ".join(path)
    assert words in sections, f"{words} is not in docs/cli.md: run python -m sloboard.cli_reference --write"
    assert undocumented(sections[words], command) == [], f"{words}: not in its section of docs/cli.md"
    assert command.help or command.short_help, f"{words} has no help text to document it with"


def test_the_configuration_reference_is_up_to_date(capsys):
    assert settings_reference.main(["--check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("entry", settings_reference.entries(), ids=lambda e: e.key)
def test_every_setting_is_documented_with_its_variable(entry):
    text = _all_docs()
    assert f"`{entry.key}`" in text, f"setting {entry.key} is not documented under docs/ or in README.md"
    assert f"`{entry.env}`" in text, f"variable {entry.env} of {entry.key} is not documented"


def test_an_option_missing_from_its_section_is_reported():
    """The check can fail: ``--json`` spelt otherwise, and an option that only appears as part of
    a longer one (``--slo`` inside ``--slo-id``), do not document it."""
    (status,) = [c for p, c in COMMANDS if p == ("sloboard", "status")]
    section = _sections((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"))["sloboard status"]
    assert undocumented(section, status) == []
    assert undocumented(section.replace("--json", "--jsn"), status) == ["--json"]
    assert "--slo" in undocumented(section.replace("--slo ", "--slo-id "), status)
