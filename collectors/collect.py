"""One collection pass: bring every target from its watermark up to ``until``.

- Incremental: each target resumes after its watermark; the first run backfills ``since``.
- Chunked: no request asks for more than ``max_points`` steps, and each chunk is written
  with its watermark in one transaction (a chunk split into several series moves the
  watermark with its last one, so a crash repeats the chunk, harmlessly). Where the
  store keeps a kind's days as daily sums only (``Store.day_horizon``), its chunks there
  hold whole UTC days, so a prune between two chunks splits no such day.
- Exclusive: a store lock keeps a second collector from writing at the same time; the
  pass renews its lease after every target, so a long backfill keeps the lock. Taking
  the lock closes the runs a killed collector left running as interrupted.
- Resilient: a target whose source or spec fails is recorded as a failed run and the
  pass goes on; a store failure stops the pass. ``collect_once`` repeats a pass that a
  busy or unreachable database stopped (SQLite locked past its busy timeout, PostgreSQL
  restarting) for up to ``STORE_RETRY_S``; it resumes from the watermarks.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from sloboard.domain import SLO
from sloboard.errors import SourceError, SpecError, StoreError, StoreUnavailable
from sloboard.store import this_process

from .grouping import SLIGroup, sli_groups
from .source import Source, step_grid_chunks
from .targets import SLITarget, StepsMissing, Target

LOCK_NAME = "collector"
STORE_RETRY_S = 60.0  # how long a pass is repeated while the database is busy or unreachable
log = logging.getLogger("sloboard.collect")


@dataclass(frozen=True)
class TargetResult:
    key: str
    label: str
    samples: int
    seconds: float
    error: str | None = None
    up_to_date: bool = False
    warning: str | None = None  # written, but with steps missing where the source had samples


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
    slos: Sequence[SLO] | None = None,
    on_progress: Callable[[TargetResult, int, int], None] = lambda result, done, count: None,
    clock: Callable[[], float] = time.monotonic,
    concurrency: int = 1,
) -> PassSummary:
    """Run one pass under the collector lock and record a run per target.

    ``slos`` (the SLO definitions behind the targets) are synced into the store first,
    under the same lock, so a collector that finds the lock taken writes nothing.
    Up to ``concurrency`` targets are collected at once (their queries are in flight
    together; each target's chunks stay in order); SLOs that can share their queries for
    the range they need are collected as one group (``grouping``), each with its own run
    and watermark. Results are reported in target order, a group's where its first
    member stands.
    """
    summary = PassSummary()
    owner = this_process()
    with store.collection_lock(LOCK_NAME, owner):
        if slos is not None:
            store.sync_slos(slos)
            store.audit_spec_changes(slos, actor="collector")  # spec changes seen on this load, once each
        targets = [*targets, *(new for t in targets if hasattr(t, "catch_up") for new in t.catch_up(store))]
        ranges = {t.key: plan_range(resume_watermark(store, t), until, since_s, step)
                  for t in targets if isinstance(t, SLITarget)}
        jobs = sli_groups(targets, {key: r for key, r in ranges.items() if r[0] <= r[1]}, step, max_points)

        def collect(job) -> list[TargetResult]:
            members = job.members if isinstance(job, SLIGroup) else [job]
            results = [_collect_target(store, source, target, ranges.get(target.key), until, since_s, step,
                                       max_points, clock) for target in members]
            # Raises StoreLockedError if the lease ran out and another collector took over.
            store.renew_lock(LOCK_NAME, owner)
            return results

        pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="collect")
        try:
            futures = [pool.submit(collect, job) for job in jobs]
            for future in futures:
                for result in future.result():  # a store failure, a lost lock or Ctrl-C stops the pass here
                    summary.results.append(result)
                    on_progress(result, len(summary.results), len(targets))
        finally:
            # Stopping early: targets not yet begun never start; those running finish their chunk.
            pool.shutdown(wait=True, cancel_futures=True)
    return summary


def resume_watermark(store, target: Target) -> int | None:
    """The target's watermark; without one, the oldest of its ``previous_keys`` that exist."""
    own = store.watermark(target.key)
    if own is not None:
        return own
    previous = [mark for mark in map(store.watermark, target.previous_keys) if mark is not None]
    return min(previous, default=None)


def _collect_target(store, source, target, planned, until, since_s, step, max_points, clock) -> TargetResult:
    """Collect ``target`` over its ``planned`` (first, end), or from its watermark when None."""
    began = clock()
    first, end = planned or plan_range(resume_watermark(store, target), until, since_s, step)
    if first > end:
        return TargetResult(target.key, target.label, 0, 0.0, up_to_date=True)
    # A run covers the steps ending at first .. end, that is (first - step, end].
    run_id = store.start_run("prometheus", target.key, first - step, end)
    written, warnings = 0, []
    try:
        # Whole UTC days up to the store's horizon of daily-only days of this kind. A pass still
        # running when the horizon moves a day on at midnight splits no day either: the first
        # chunk past the horizon asks for at least a day of points, so it holds the next day whole.
        chunks = step_grid_chunks(first, end, step, max_points, store.day_horizon(target.kind))
        for chunk_start, chunk_end in chunks:
            try:
                written += target.collect_chunk(source, store, chunk_start, chunk_end, step)
            except StepsMissing as gaps:
                written += gaps.samples
                warnings.append(str(gaps))
    except (SourceError, SpecError) as exc:
        store.finish_run(run_id, status="failed", samples_written=written, error=str(exc))
        return TargetResult(target.key, target.label, written, clock() - began, error=str(exc))
    except BaseException as exc:  # a store failure or Ctrl-C: record it, then let it stop the pass
        try:
            store.finish_run(run_id, status="failed", samples_written=written, error=f"{type(exc).__name__}: {exc}")
        except StoreError:
            pass  # the same outage: the error to report is the one that stopped the target
        raise
    warning = "; ".join(warnings) or None
    store.finish_run(run_id, status="incomplete" if warning else "ok", samples_written=written, error=warning)
    return TargetResult(target.key, target.label, written, clock() - began, warning=warning)


def collect_once(settings, store, slos, source: Source, *, until: int, since_s: int | None = None,
                 on_progress=lambda result, done, count: None, store_retry_s: float = STORE_RETRY_S,
                 sleep: Callable[[float], None] = time.sleep) -> PassSummary:
    """One pass of the settings' queries and collection parameters, into ``store`` from
    ``source`` (built by ``sloboard.wiring.prometheus_source``; the caller closes it):
    what the CLI and the scheduler run. A pass the database stopped is repeated
    (``repeat_while_store_unavailable``)."""
    from sloboard.domain import parse_duration

    from .queries import load_queries
    from .targets import targets_for

    if since_s is None:
        since_s = int(parse_duration(settings.collect.backfill).total_seconds())
    targets = targets_for(slos, load_queries(settings.queries_file), settings.collect.lookback_s)
    return repeat_while_store_unavailable(
        lambda progress: collect_pass(
            store,
            source,
            targets,
            until=until,
            since_s=since_s,
            step=settings.collect.step_s,
            max_points=settings.collect.max_points_per_query,
            slos=slos,
            on_progress=progress,
            concurrency=settings.collect.concurrency,
        ),
        on_progress, store_retry_s, sleep,
    )


def repeat_while_store_unavailable(
    run_pass: Callable[[Callable[[TargetResult, int, int], None]], PassSummary],
    on_progress: Callable[[TargetResult, int, int], None],
    budget_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> PassSummary:
    """Run ``run_pass(on_progress)``; while it stops with ``StoreUnavailable``, run it again
    after 0.5, 1, 2, ... (at most 8) seconds, for up to ``budget_s``, then let the error out.

    A repeat resumes from the watermarks, so nothing is written twice; the summary counts
    the samples the stopped attempts wrote too.
    """
    deadline, delay = time.monotonic() + budget_s, 0.5
    earlier: dict[str, int] = {}
    while True:
        attempt: list[TargetResult] = []

        def progress(result: TargetResult, done: int, count: int) -> None:
            attempt.append(result)
            on_progress(result, done, count)

        try:
            summary = run_pass(progress)
            break
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                raise
            for result in attempt:
                earlier[result.key] = earlier.get(result.key, 0) + result.samples
            log.warning("the database stopped the pass; repeating it in %.1f s: %s", delay, exc)
            sleep(delay)
            delay = min(2 * delay, 8.0)
    summary.results = [replace(r, samples=r.samples + earlier.get(r.key, 0)) for r in summary.results]
    return summary
