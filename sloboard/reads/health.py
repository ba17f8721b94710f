"""Collection health: missing steps per SLO, the last run of each query, and whether the
data behind the pages is current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

import numpy as np

from ..domain import SLO, format_duration
from ..engine import window_bounds
from ..store.sample_layout import HOUR


@dataclass(frozen=True)
class SampleGaps:
    """Steps missing from one SLO's window ``(window_start, due_until]``.

    ``due_until`` is the newest step end the collector should have written by ``at``
    (see :func:`sample_gaps`). ``expected`` = steps in that span; ``present`` = those
    with a sample; the longest gap is the longest run of consecutive missing steps, in
    seconds (including a gap at either end of the span). ``newest`` is the newest
    sample time, None if none.
    """

    slo_id: str
    window_start: int
    due_until: int
    expected: int
    present: int
    longest_gap_s: int
    newest: int | None

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.present)


def sample_gaps(store, slos: Sequence[SLO], at_epoch: int, step_s: int, *, not_due_s: int = 0) -> list[SampleGaps]:
    """Gaps per SLO over its own window, from one read per distinct window start.

    Steps ending within ``not_due_s`` of ``at`` are not due yet and count neither as
    missing nor as present: the collector stays ``collect.lag_s`` behind now and writes
    whole steps, so the dashboard passes ``lag_s + step_s``. Without it the newest
    steps would read as gaps right after every collection.

    The store folds every complete hour into one row (``Store.read_sli_coverage_many``),
    so no per-step array of the window is held: each SLO's stored steps are runs
    ``[first, last]`` (a complete hour, or one step), and the gaps lie between the runs.
    """
    if not slos:
        return []
    due_until = (at_epoch - not_due_s) // step_s * step_s
    bounds = {s.id: window_bounds(s.window, at_epoch)[0] for s in slos}
    # A rollup row of a whole hour of steps stands for them all; without whole hours of steps none does.
    full = HOUR // step_s if HOUR % step_s == 0 else -1
    stored = {}
    for start in sorted(set(bounds.values())):
        ids = [slo_id for slo_id, b in bounds.items() if b == start]
        stored.update(store.read_sli_coverage_many(ids, start, at_epoch, full))
    out = []
    for slo in sorted(slos, key=lambda s: s.id):
        start = bounds[slo.id]
        hours, steps = stored[slo.id]
        firsts = np.concatenate((hours - HOUR + step_s, steps))
        order = np.argsort(firsts, kind="stable")
        firsts, lasts = firsts[order], np.concatenate((hours, steps))[order]
        newest = int(lasts.max()) if lasts.size else None
        due = firsts <= due_until
        firsts, lasts = firsts[due], np.minimum(lasts[due], due_until)
        # Virtual steps just outside the span: at its start, and one step after its last due step.
        gaps = np.concatenate((firsts, [due_until + step_s])) - np.concatenate(([start], lasts)) - step_s
        out.append(
            SampleGaps(
                slo_id=slo.id,
                window_start=start,
                due_until=due_until,
                expected=max(0, (due_until - start) // step_s),
                present=int(((lasts - firsts) // step_s + 1).sum()),
                longest_gap_s=int(max(0, gaps.max())),
                newest=newest,
            )
        )
    return out


def last_runs(store, limit: int = 1000) -> list:
    """The newest collector run of each query (``CollectorRun``), sorted by query key."""
    latest = {}
    for run in store.runs(limit=limit):  # newest first
        latest.setdefault(run.query_key, run)
    return [latest[key] for key in sorted(latest)]


def cut_short(store, runs: Sequence) -> list:
    """The interrupted ``runs`` whose range is not all written: their query's watermark is
    short of the run's end, so its data stops early until the next pass resumes it. (A run
    killed after its last chunk was written is interrupted too, but its data is whole.)"""
    return [r for r in runs if r.status == "interrupted"
            and (store.watermark(r.query_key) or r.range_start) < r.range_end]


def _queries(runs: Sequence) -> str:
    """``N query/queries: a, b, c and M more``."""
    names = ", ".join(r.query_key for r in runs[:3]) + (f" and {len(runs) - 3} more" if len(runs) > 3 else "")
    return f"{len(runs)} quer{'y' if len(runs) == 1 else 'ies'}: {names}"


@dataclass(frozen=True)
class Freshness:
    """Whether the data behind the pages is current.

    Stale when the newest SLI sample is older than ``factor`` collection intervals,
    when there is no sample at all, or when the last run of any query failed or was
    interrupted before its range was written (``cut_short``).
    """

    newest: int | None
    age_s: int | None
    failed_runs: list
    interrupted_runs: list
    stale: bool
    reasons: list[str]


STALE_INTERVALS = 3  # samples older than this many collection intervals are stale


def newest_sample(store, slo_ids: Sequence[str] | None, at_epoch: int, recent_s: int) -> int | None:
    """The newest SLI sample time at or before ``at`` of ``slo_ids`` (of any SLO when None).

    Fresh data answers from one read of every SLO's samples of the last ``recent_s``
    seconds (a few rows each); only when none is that recent is each SLO's newest
    sample looked up, one index probe per SLO.
    """
    if slo_ids is None:
        return store.latest_sample_ts()
    recent = store.read_sli_samples_many(slo_ids, at_epoch - recent_s, at_epoch)
    newest = [int(ts[-1]) for ts, _good, _total in recent.values() if ts.size]
    if not newest:
        newest = [t for t in (store.latest_sample_ts(slo_id) for slo_id in slo_ids) if t is not None]
    return max(newest, default=None)


def staleness_limit_s(interval_s: int, factor: int = STALE_INTERVALS, lag_s: int = 0) -> int:
    """The age past which the newest sample is stale: ``factor`` collection intervals,
    plus the lag the collector keeps behind now by design (``collect.lag_s``)."""
    return factor * interval_s + lag_s


def sample_staleness(newest: int | None, at_epoch: int, interval_s: int, factor: int = STALE_INTERVALS, *,
                     lag_s: int = 0) -> str | None:
    """Why samples whose newest is at ``newest`` are stale at ``at`` (None: they are current);
    the stale banner and the deploy gate judge by this one rule. ``lag_s``: how far behind
    now the collector stays by design (``collect.lag_s``), allowed on top."""
    if newest is None:
        return "no SLI samples stored yet"
    age = int(at_epoch - newest)
    if age > staleness_limit_s(interval_s, factor, lag_s):
        lag = f" after the collector's lag of {lag_s}s" if lag_s else ""
        return (f"newest sample is {format_duration(timedelta(seconds=age))} old "
                f"(more than {factor} collection intervals of {interval_s}s{lag})")
    return None


def freshness(store, at_epoch: int, interval_s: int, factor: int = STALE_INTERVALS, *,
              slo_ids: Sequence[str] | None = None, lag_s: int = 0) -> Freshness:
    """The freshness of the samples of ``slo_ids`` (of every SLO in the store when None)
    and of the last collector runs at ``at``; ``lag_s`` as in ``sample_staleness``, so the
    banner and the gate call the same samples stale."""
    newest = newest_sample(store, slo_ids, at_epoch, staleness_limit_s(interval_s, factor, lag_s))
    runs = last_runs(store)
    failed = [r for r in runs if r.status == "failed"]
    interrupted = cut_short(store, runs)
    age = None if newest is None else int(at_epoch - newest)
    too_old = sample_staleness(newest, at_epoch, interval_s, factor, lag_s=lag_s)
    reasons = [] if too_old is None else [too_old]
    if failed:
        reasons.append(f"last run failed for {_queries(failed)}")
    if interrupted:
        reasons.append(f"last run interrupted before its end for {_queries(interrupted)}")
    return Freshness(newest, age, failed, interrupted, bool(reasons), reasons)
