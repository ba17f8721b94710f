"""Run the ``sloboard`` command as a user would: a subprocess, settings in SLOBOARD_* variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_SPECS = REPO / "slo_specs"
# Retention settings that keep every step of data lying far in the past.
KEEP_EVERY_STEP_ENV = {"SLOBOARD_COLLECT__RAW_RETENTION": "36500d", "SLOBOARD_COLLECT__GOLDEN_RAW_RETENTION": "36500d"}


def cli_env(data_dir: Path, prometheus_url: str, *, specs_dir: Path = DEMO_SPECS, **settings: str) -> dict[str, str]:
    """The environment of the test process without any SLOBOARD_* of its own, plus these settings.

    ``settings`` are further variables without the prefix: ``database_url=...`` gives
    ``SLOBOARD_DATABASE_URL``, ``prometheus__retry_max_s="0.2"`` a nested one.
    The tests' data lies months in the past, which the default retention would keep as
    hourly sums only: every step is kept unless a test sets the retention itself.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    env.update(
        SLOBOARD_DATA_DIR=str(data_dir),
        SLOBOARD_SPECS_DIR=str(specs_dir),
        SLOBOARD_PROMETHEUS_URL=prometheus_url,
        **KEEP_EVERY_STEP_ENV,
    )
    env.update({f"SLOBOARD_{key.upper()}": value for key, value in settings.items()})
    return env


def run_sloboard(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess:
    """``sloboard ARGS`` through the console entry point ``sloboard.cli.main``; never raises on exit codes."""
    return subprocess.run(
        [sys.executable, "-c", "from sloboard.cli import main; main()", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
    )
