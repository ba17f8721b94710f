"""``sloboard --help``: whole-process start-up time, and which heavy modules it imports.

Baseline: ``python -c pass`` with the same interpreter, the floor any Python CLI pays.
Imports are read from ``python -X importtime`` running the same entry point; the
command must import none of pandas, dash or weasyprint at start-up.
"""

from __future__ import annotations

import sys

from .report import Result, at_most
from .timing import SLOBOARD, best_process, fmt_s, run_process

RUNS = 7
TARGET_S = 0.5
FORBIDDEN = ("pandas", "dash", "weasyprint")
ALSO_SHOWN = ("numpy", "sqlalchemy", "plotly", "pydantic", "yaml")


def imported_top_level(argv: list[str]) -> set[str]:
    """Top-level names of every module ``python -X importtime argv...`` reports."""
    done = run_process([sys.executable, "-X", "importtime", *argv]).check()
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                names.add(name.split(".")[0])
    return names


def run(ctx) -> list[Result]:
    helped = best_process([SLOBOARD, "--help"], RUNS)
    floor = best_process([sys.executable, "-c", "pass"], RUNS)
    modules = imported_top_level([SLOBOARD, "--help"])
    heavy = [m for m in FORBIDDEN if m in modules]
    shown = [m for m in ALSO_SHOWN if m in modules]
    ratio = helped.seconds / floor.seconds
    return [Result(
        "sloboard --help",
        figure=fmt_s(helped.seconds),
        target=f"<= {TARGET_S} s, no {'/'.join(FORBIDDEN)}",
        met=at_most(helped.seconds, TARGET_S) and not heavy,
        baseline=f"python -c pass {fmt_s(floor.seconds)}",
        ratio=f"{ratio:.1f}x time",
        notes=[f"best of {RUNS} whole processes; heavy imports at start-up: "
               f"{', '.join(heavy) if heavy else 'none of ' + ', '.join(FORBIDDEN)}; "
               f"also imported: {', '.join(shown) if shown else 'none of ' + ', '.join(ALSO_SHOWN)}"],
    )]
