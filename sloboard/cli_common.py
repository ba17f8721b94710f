"""What every ``sloboard`` command shares: the per-process context (settings read once,
the store opened with its retention), time arguments, the audit actor, and the options
and logging of the long-running server commands."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .errors import InputError
from .wiring import load_slos, open_store


def store_is_empty(store) -> bool:
    """No SLI samples, no cost or golden-signal series and no deployments."""
    return (store.latest_sample_ts() is None and not store.series_keys("cost")
            and not store.series_keys("golden") and not store.deployments())


def _sqlite_path(url: str) -> Path | None:
    from .store.connection import parse_url

    parsed = parse_url(url)
    return Path(parsed.database).resolve() if parsed.drivername.startswith("sqlite") and parsed.database else None


def _warn_if_empty_beside_another(settings, store) -> None:
    """An empty store while another SQLite store sits in the data dir is most likely the
    wrong store (the default one, created just now): name the other one on stderr."""
    in_use = _sqlite_path(settings.db_url)
    others = sorted(p for p in settings.data_dir.glob("*.db") if p.resolve() != in_use and p.stat().st_size)
    if others and store_is_empty(store):
        names = ", ".join(str(p) for p in others)
        click.echo(f"warning: the store {store.url} is empty, but {names} is in the data dir; to use it, "
                   f"set SLOBOARD_DATABASE_URL=sqlite:///{others[0]}", err=True)


class CliContext:
    """Settings built once per process, on first use, and passed down from here."""

    def __init__(self, config: Path | None, debug: bool):
        self.config = config
        self.debug = debug
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            self.reload_settings()
        return self._settings

    def reload_settings(self, *, default_store: bool = False):
        """Read the settings again (the demo does, once it has written its own)."""
        from .settings import load_settings

        self._settings = load_settings(self.config, default_store=default_store)
        return self._settings

    def open_store(self):
        store = open_store(self.settings)
        _warn_if_empty_beside_another(self.settings, store)
        return store

    def load_specs(self, paths=()):
        return load_slos(self.settings, paths)


def time_option(name: str, help_text: str):
    return click.option(name, "at", default="now", show_default=True, metavar="T", help=help_text)


def parse_cli_time(text: str) -> int:
    from .timeparse import parse_time

    try:
        return parse_time(text, time.time())
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def cli_actor() -> str:
    """Who ran the command, for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def serve_options(fn):
    fn = click.option("--port", default=8050, show_default=True, help="TCP port of the dashboard.")(fn)
    fn = click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on; 0.0.0.0 to accept connections from other machines.",
    )(fn)
    return fn


def log_to_stderr(settings) -> None:
    """A long-running command logs what it does (spec reloads, scheduled runs) to stderr, as
    JSON lines with the settings' secrets masked (``log_lines``)."""
    from . import log_lines

    log_lines.configure(settings)


def note_demo_settings(settings) -> None:
    """A server on the demo's store also takes the demo's token: say so, so nobody runs
    production on it unknowingly."""
    from .settings import demo_settings_path

    path = demo_settings_path(settings)
    if path is not None:
        click.echo(f"note: using the demo's settings in {path} (its budgets, and its API token is accepted); "
                   "delete the file, or use another data dir, to run without them", err=True)
