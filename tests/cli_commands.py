"""Deployment files name sloboard commands: parse them with the real CLI, so a renamed
command or option fails a test instead of a container."""

from __future__ import annotations

from sloboard.cli import cli


def parse_sloboard(args: list[str]):
    """The click command ``sloboard ARGS`` runs; raises on an unknown command or option."""
    assert args[0] == "sloboard", args
    command, rest = cli, list(args[1:])
    while rest and hasattr(command, "commands") and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    command.make_context(command.name, rest)
    return command
