"""One collection pass: bring every target from its watermark up to ``until``.

- Incremental: each target resumes after its watermark; the first run backfills ``since``.
- Chunked: no request asks for more than ``max_points`` steps, and each chunk is written
  with its watermark in one transaction.
- Exclusive: a store lock keeps a second collector from writing at the same time.
- Resilient: a failing target is recorded as a failed run and the pass goes on.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from sloboard.errors import SourceError

from .source import Source, step_grid_chunks
from .targets import Target


@dataclass(frozen=True)
class TargetResult:
    key: str
    label: str
    samples: int
    seconds: float
    error: str | None = None
    up_to_date: bool = False


@dataclass
class PassSummary:
    results: list[TargetResult] = field(default_factory=list)

    @property
    def failed(self) -> list[TargetResult]:
        return [r for r in self.results if r.error]

    @property
    def samples(self) -> int:
        return sum(r.samples for r in self.results)


def plan_range(watermark: int | None, until: int, since_s: int, step: int) -> tuple[int, int]:
    """First and last step end to fetch. Step ends lie on multiples of ``step``."""
    end = until // step * step
    first = watermark + step if watermark is not None else (until - since_s) // step * step + step
    return first, end


def collect_pass(
    store,
    source: Source,
    targets: Sequence[Target],
    *,
    until: int,
    since_s: int,
    step: int,
    max_points: int,
    on_progress: Callable[[TargetResult, int, int], None] = lambda result, done, count: None,
    clock: Callable[[], float] = time.monotonic,
) -> PassSummary:
    """Run one pass under the collector lock and record a run per target."""
    summary = PassSummary()
    owner = f"{socket.gethostname()}:{os.getpid()}"
    with store.lock("collector", owner):
        for done, target in enumerate(targets, start=1):
            result = _collect_target(store, source, target, until, since_s, step, max_points, clock)
            summary.results.append(result)
            on_progress(result, done, len(targets))
    return summary


def _collect_target(store, source, target, until, since_s, step, max_points, clock) -> TargetResult:
    began = clock()
    first, end = plan_range(store.watermark(target.key), until, since_s, step)
    if first > end:
        return TargetResult(target.key, target.label, 0, 0.0, up_to_date=True)
    run_id = store.start_run("prometheus", target.key, first, end)
    written = 0
    try:
        for chunk_start, chunk_end in step_grid_chunks(first, end, step, max_points):
            written += target.collect_chunk(source, store, chunk_start, chunk_end, step)
    except SourceError as exc:
        store.finish_run(run_id, status="failed", samples_written=written, error=str(exc))
        return TargetResult(target.key, target.label, written, clock() - began, error=str(exc))
    except BaseException as exc:  # a store failure or Ctrl-C: record it, then let it stop the pass
        store.finish_run(run_id, status="failed", samples_written=written, error=f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, status="ok", samples_written=written)
    return TargetResult(target.key, target.label, written, clock() - began)


def collect_once(settings, store, slos, *, until: int, since_s: int | None = None, on_progress=lambda result, done, count: None) -> PassSummary:
    """One pass with everything taken from the settings: what the CLI and the scheduler run."""
    from sloboard.domain import parse_duration

    from .prometheus import PrometheusSource
    from .queries import load_queries
    from .targets import targets_for

    if since_s is None:
        since_s = int(parse_duration(settings.collect.backfill).total_seconds())
    store.sync_slos(slos)
    return collect_pass(
        store,
        PrometheusSource(settings.prometheus),
        targets_for(slos, load_queries(settings.queries_file)),
        until=until,
        since_s=since_s,
        step=settings.collect.step_s,
        max_points=settings.collect.max_points_per_query,
        on_progress=on_progress,
    )
