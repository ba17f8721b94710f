"""Fixtures of the fault, fuzz and load tests.

- The real-Prometheus fixtures of ``tests/integration`` (``prometheus_with``).
- ``figure(label, value)``: a measured figure of the running test. It is printed, kept as
  a JUnit property, and written to ``tests/artifacts/faults/<test>.txt`` (a test's run
  replaces its own file); ``tests/artifacts/faults.txt`` joins them all, and the terminal
  summary echoes it, so the figures show without ``-s`` and survive the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from tests.integration.conftest import prometheus_binaries, prometheus_with  # noqa: F401 (fixtures)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PER_TEST, SUMMARY = ARTIFACTS / "faults", ARTIFACTS / "faults.txt"


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY.exists() and SUMMARY.read_text().strip():
        terminalreporter.write_sep("-", f"fault, fuzz and load figures ({SUMMARY})")
        terminalreporter.write(SUMMARY.read_text())


@pytest.fixture
def figure(request, record_property) -> Callable[[str, object], str]:
    PER_TEST.mkdir(parents=True, exist_ok=True)
    own = PER_TEST / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".txt")
    own.write_text("")

    def record(label: str, value: object) -> str:
        line = f"{request.node.nodeid}: {label} = {value}"
        record_property(label, value)
        with own.open("a") as out:
            out.write(line + "\n")
        SUMMARY.write_text("".join(p.read_text() for p in sorted(PER_TEST.glob("*.txt"))))
        print(line)
        return line

    return record
