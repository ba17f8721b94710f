"""Reads for windows that all end at one instant: hourly rollups for whole hours, raw
steps only at the edges.

A status sums counts over windows that end at ``end``: an SLO's window and its burn-rate
windows, or the 1-, 7-, 30-day and month-to-date cost windows. The store keeps every
step ``(key, ts, values)`` and, updated in the transaction of every write, one rollup
row per key and hour ``h``: the sums of the values of the steps with ``ts`` in
``(h - 3600, h]`` and ``steps``, how many steps are stored there
(``sloboard.store.rollups``). A 30-day window is then 720 rows instead of 43,200
one-minute steps.

The plan (:func:`plan_reads`), given the start of every window (the *cuts*) and ``end``:

- The read covers ``(L, end]``, with ``L`` the earliest cut.
- An hour is read step by step (*raw*) when a window starts strictly inside it (a cut
  off the hour grid), and so is the partial last hour ``(floor_hour(end), end]``.
  Adjacent raw hours make one span.
- Every other hour of ``(L, end]`` is one rollup row.

Each key's rows come back as ``(ts, values..., step_counts)`` sorted by ``ts``: raw
steps with count 1, rollup rows at their hour's end with their ``steps``. A window
``(c, end]`` for any planned cut ``c`` holds exactly the rows with ``ts`` in
``(c, end]`` (no cut falls inside a rollup hour, so each such hour lies wholly inside
or wholly outside every window), and those rows cover exactly the steps with ``ts`` in
``(c, end]``. So every window's sums equal the raw steps' sums but for the order of
the floating-point additions (ulps; ``tests/test_rollup_equivalence.py`` holds SLIs,
counts, budgets and completeness to 1e-12 with hypothesis), and ``Σ step_counts`` is
the number of stored steps, which data completeness counts.

Short burn-rate windows mostly come out raw by this rule (5m and 30m lie in the last
hour or two; 1h and 6h add one raw hour at their start). Reading them wholly raw would
give the same numbers for more rows, so the rule is the same for every window.

Retention deletes old steps but keeps their rollup rows, so whole hours of long history
still count; only an hour read raw (a window starting inside it) whose steps are gone
counts nothing, exactly as a read of raw steps would.

The newest sample time: a rollup row's ``ts`` is its hour's end, not the newest step
in it. Where a caller needs the newest time (the cost forecast does), ``exact_newest``
reads the hour of a key's newest rollup row step by step as well.

Budgeting methods with time slices need per-slice sums; rollup rows serve them only
when slices are whole hours (:func:`hourly_rows_suffice`). Other SLOs read raw steps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .domain import SLO, BudgetingMethod
from .engine.methods import slice_seconds
from .store.sample_layout import HOUR, hour_end

Rows = tuple[np.ndarray, ...]  # (ts, values..., step_counts), sorted by ts


@dataclass(frozen=True)
class ReadPlan:
    """Which parts of ``(start, end]`` are read step by step, and which as rollup rows.

    ``raw``: disjoint, ascending ``(a, b]`` spans of steps. ``hourly``: the ``(a, b]``
    range of rollup hour ends to read; the hours in ``raw_hours`` (ends of the hours
    read raw) are dropped from it.
    """

    start: int
    end: int
    raw: tuple[tuple[int, int], ...]
    hourly: tuple[int, int]
    raw_hours: np.ndarray = field(repr=False)

    def merge(self, raw: Sequence[np.ndarray], hourly: Sequence[np.ndarray]) -> Rows:
        """One key's ``(ts, values...)`` steps and ``(ts, values..., steps)`` rollup rows as
        ``(ts, values..., step_counts)`` sorted by ts."""
        raw_ts, *raw_values = raw
        hourly_ts, *hourly_values, hourly_steps = hourly
        keep = ~np.isin(hourly_ts, self.raw_hours)
        ts = np.concatenate((raw_ts, hourly_ts[keep]))
        order = np.argsort(ts, kind="stable")
        values = [np.concatenate((r, h[keep]))[order] for r, h in zip(raw_values, hourly_values)]
        counts = np.concatenate((np.ones(raw_ts.size, np.int64), hourly_steps[keep]))[order]
        return (ts[order], *values, counts)

    def is_raw(self, ts: int) -> bool:
        """Whether a row at ``ts`` is a step (inside a raw span), rather than a rollup row."""
        return any(a < ts <= b for a, b in self.raw)


def plan_reads(cuts: Iterable[int], end: int) -> ReadPlan:
    """The read of ``(min(cuts), end]`` for windows ``(c, end]``, ``c`` in ``cuts`` (module docstring)."""
    end = int(end)
    cuts = sorted({int(c) for c in cuts if c < end})
    if not cuts:
        return ReadPlan(end, end, (), (end, end), np.empty(0, np.int64))
    start = cuts[0]
    hours = {hour_end(c) for c in cuts if c % HOUR}  # the hour a window starts inside
    if end % HOUR:
        hours.add(hour_end(end))
    spans: list[tuple[int, int]] = []
    for h in sorted(hours):
        a, b = max(h - HOUR, start), min(h, end)
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    first, last = hour_end(start), end - end % HOUR  # rollup hours ending in (first, last]
    return ReadPlan(start, end, tuple(spans), (first, max(first, last)), np.array(sorted(hours), np.int64))


def plan_recent_raw(start: int, raw_from: int, end: int) -> ReadPlan:
    """The read of ``(start, end]`` for a chart that needs every step after ``raw_from``
    and only sums over ``(start, t]`` before it: steps from the hour that holds
    ``raw_from`` on, and in the hour that ``start`` cuts; rollup rows for the whole hours
    between. Each ``(start, t]``, ``t`` an hour end or after ``raw_from``, then holds
    exactly its steps, as with :func:`plan_reads`."""
    start, end = int(start), int(end)
    recent = min(max(int(raw_from), start), end)
    recent -= recent % HOUR
    first = hour_end(start)  # rollup hours end in (first, recent]; the hour ending at first is raw
    if recent <= first:
        return ReadPlan(start, end, ((start, end),) if start < end else (), (first, first), np.empty(0, np.int64))
    raw = ((start, first),) if start % HOUR else ()
    return ReadPlan(start, end, raw + ((recent, end),) if recent < end else raw, (first, recent),
                    np.empty(0, np.int64))


def hourly_rows_suffice(slo: SLO, step_s: int) -> bool:
    """Whether ``slo`` can be evaluated on rollup rows: Occurrences always; the time-slice
    methods when a slice is a whole number of hours (slices are aligned to multiples of
    their length, so each rollup hour then lies inside one slice)."""
    return slo.budgeting is BudgetingMethod.OCCURRENCES or slice_seconds(slo, step_s) % HOUR == 0


def read_sli_rows(store, slo_ids: Sequence[str], cuts: Iterable[int], end: int) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` for windows ``(c, end]``, ``c`` in ``cuts``, in one read."""
    return read_sli_planned(store, slo_ids, plan_reads(cuts, end))


def read_sli_planned(store, slo_ids: Sequence[str], plan: ReadPlan) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` as ``plan`` reads them, in one read."""
    raw, hourly = store.read_sli_spans_many(slo_ids, plan.raw, plan.hourly)
    return {slo_id: plan.merge(raw[slo_id], hourly[slo_id]) for slo_id in raw}


def read_series_rows(store, kind: str, keys: Sequence[tuple[str, str]], cuts: Iterable[int], end: int,
                     *, exact_newest: bool = False) -> dict[tuple[str, str], Rows]:
    """``{(scope, name): (ts, values, step_counts)}`` for windows ``(c, end]``, ``c`` in ``cuts``.

    With ``exact_newest`` the last row of every key is a step, so its ts is the newest
    sample time; this costs one more read per distinct hour to refine (usually none or one).
    """
    plan = plan_reads(cuts, end)
    raw, hourly = store.read_series_spans_many(kind, keys, plan.raw, plan.hourly)
    rows = {key: plan.merge(raw[key], hourly[key]) for key in raw}
    return _newest_as_steps(store, kind, plan, rows) if exact_newest else rows


def _newest_as_steps(store, kind: str, plan: ReadPlan, rows: dict[tuple[str, str], Rows]) -> dict[tuple[str, str], Rows]:
    """Replace each key's newest rollup row by the steps of its hour, read in one query per hour.

    Where retention has deleted some of those steps the rollup row stays (the steps
    read would no longer add up to it), so the hour's sums are never lost.
    """
    by_hour: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, (ts, *_rest) in rows.items():
        if ts.size and not plan.is_raw(int(ts[-1])):
            by_hour[int(ts[-1])].append(key)
    out = dict(rows)
    for h, keys in by_hour.items():
        for key, (step_ts, *step_values) in store.read_series_many(kind, keys, h - HOUR, h).items():
            ts, *values, counts = rows[key]
            if step_ts.size == counts[-1]:
                out[key] = (
                    np.concatenate((ts[:-1], step_ts)),
                    *(np.concatenate((v[:-1], s)) for v, s in zip(values, step_values)),
                    np.concatenate((counts[:-1], np.ones(step_ts.size, np.int64))),
                )
    return out
