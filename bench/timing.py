"""Measuring: the best of several timings in-process, and whole processes with their peak memory.

The best (smallest) of several runs is the figure least disturbed by other work on the
machine; every benchmark says how many runs it took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

VENV_BIN = Path(sys.executable).parent
SLOBOARD = str(VENV_BIN / "sloboard")


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The smallest wall time of ``repeat`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


@dataclass(frozen=True)
class ProcessRun:
    argv: tuple[str, ...]
    seconds: float
    max_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> "ProcessRun":
        """Raise RuntimeError with the tail of stderr if the process failed."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{' '.join(self.argv[:3])} ... exited with {self.returncode}: {tail}")
        return self


def run_process(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> ProcessRun:
    """Run ``argv`` to completion; wall time from spawn to exit, and the child's peak RSS.

    ``os.wait4`` reports the resource usage of exactly this child (``ru_maxrss``, KiB on
    Linux), unlike ``RUSAGE_CHILDREN``, which is the maximum over every child so far.
    Output goes to temporary files so that a full pipe can never stall the child.
    """
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=full_env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            tuple(argv), seconds, usage.ru_maxrss * 1024, process.returncode,
            out.read().decode(errors="replace"), err.read().decode(errors="replace"),
        )


def best_process(argv: Sequence[str], repeat: int, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> ProcessRun:
    """The fastest of ``repeat`` runs (each must succeed)."""
    runs = [run_process(argv, env, cwd).check() for _ in range(repeat)]
    return min(runs, key=lambda r: r.seconds)


def proc_status_bytes(field: str, pid: int | str = "self") -> int:
    """A size from ``/proc/<pid>/status`` in bytes: ``VmHWM`` (peak resident set) or ``VmRSS`` (now)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def fmt_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"
