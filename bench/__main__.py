"""``python -m bench [--large] [--only NAME[,NAME...]]``: run the benchmarks and print one table.

Benchmarks report; they never fail the build. A missed target shows as MISSED and a
benchmark that cannot run shows why; the exit code is 0 either way (2 only for bad
arguments). Artefacts (cached fleets, the Prometheus TSDB, the peer's venv) live under
``.bench/``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone

from . import (collection, collection_incremental, dashboard, ingest, memory, peer_slo_generator, report_speed,
               scale_out, startup, status_speed, store_size)
from .context import Context
from .report import Result, table

BENCHMARKS = {
    "startup": startup.run,
    "ingest": ingest.run,
    "status": status_speed.run,
    "memory": memory.run,
    "store-size": store_size.run,
    "reports": report_speed.run,
    "collection": collection.run,
    "collection-incremental": collection_incremental.run,
    "peer": peer_slo_generator.run,
    "dashboard": dashboard.run,
    "scale-out": scale_out.run,
}


def machine() -> str:
    """Date, CPU, cores and memory of this machine, for the results file."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"date: {when}\nCPU: {cpu}\nnproc: {os.cpu_count()}\n"
            f"python: {platform.python_version()}\nfree -h:\n{memory}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description="Run the sloboard benchmarks and print one table.")
    parser.add_argument("--large", action="store_true", help="also run the large fleet (1,000 SLOs, 400 days)")
    parser.add_argument("--only", metavar="NAME", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server for the ingest and scale-out benchmarks (a schema is created and dropped)")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    ctx = Context(large=args.large, pg_url=args.pg_url, log=log)
    ctx.remove_stale_scratch()
    results: list[Result] = []
    began = time.perf_counter()
    try:
        for name in names:
            log(f"== {name}")
            step_began = time.perf_counter()
            try:
                results += BENCHMARKS[name](ctx)
            except Exception as exc:  # a broken benchmark is a row that says so; the others still run
                traceback.print_exc(file=sys.stderr)
                results.append(Result(name, figure="error", notes=[f"{type(exc).__name__}: {exc}"]))
            log(f"   {name} took {time.perf_counter() - step_began:.0f} s")
    finally:
        ctx.close()
    print(machine())
    print(f"benchmarks run: {', '.join(names)}{' (with --large)' if args.large else ''}; "
          f"wall time {time.perf_counter() - began:.0f} s\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
