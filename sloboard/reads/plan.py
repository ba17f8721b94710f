"""Reads for windows that all end at one instant: daily rollups for whole days, hourly
rollups for whole hours, raw steps only at the edges.

A status sums counts over windows that end at ``end``: an SLO's window and its burn-rate
windows, or the 1-, 7-, 30-day and month-to-date cost windows. The store keeps every
step ``(key, ts, values)`` and, updated in the transaction of every write, one rollup
row per key and hour ``h``: the sums of the values of the steps with ``ts`` in
``(h - 3600, h]`` and ``steps``, how many steps are stored there, and one per key and
UTC day ``d`` over ``(d - 86400, d]`` (``sloboard.store.rollups``). A 30-day window is
then about 30 day rows and at most 48 hour rows instead of 43,200 one-minute steps.

The plan (:func:`plan_reads`), given the start of every window (the *cuts*) and ``end``:

- The read covers ``(L, end]``, with ``L`` the earliest cut.
- An hour is read step by step (*raw*) when a window starts strictly inside it (a cut
  off the hour grid), and so is the partial last hour ``(floor_hour(end), end]``.
  Adjacent raw hours make one span.
- A UTC day is read hour by hour when a window starts strictly inside it (a cut off
  the day grid), and so is the partial last day ``(floor_day(end), end]``: each of its
  hours is one hourly row, or raw as above.
- Every other day of ``(L, end]`` is one daily row.

Each key's rows come back as ``(ts, values..., step_counts)`` sorted by ``ts``: raw
steps with count 1, rollup rows at their hour's or day's end with their ``steps``. A
window ``(c, end]`` for any planned cut ``c`` holds exactly the rows with ``ts`` in
``(c, end]`` (no cut falls inside a rollup hour or day, so each lies wholly inside or
wholly outside every window), and those rows cover exactly the steps with ``ts`` in
``(c, end]``. So every window's sums equal the raw steps' sums but for the order of
the floating-point additions (ulps; ``tests/test_rollup_equivalence.py`` holds SLIs,
counts, budgets and completeness to 1e-12 with hypothesis), and ``Σ step_counts`` is
the number of stored steps, which data completeness counts.

Short burn-rate windows mostly come out raw by this rule (5m and 30m lie in the last
hour or two; 1h and 6h add one raw hour at their start). Reading them wholly raw would
give the same numbers for more rows, so the rule is the same for every window.

Retention deletes old steps but keeps their rollup rows, so whole hours of long history
still count; only an hour read raw (a window starting inside it) whose steps are gone
counts nothing, exactly as a read of raw steps would. A daily row is the sum of its
day's hourly rows, and the prune of rollups keeps it so (``rollups.rebuild_days``).

The newest sample time: a rollup row's ``ts`` is its hour's (or day's) end, not the
newest step in it. Where a caller needs the newest time (the cost forecast does),
:func:`read_series_sums`' ``exact_newest`` looks up the steps of that hour.

Budgeting methods with time slices need per-slice sums; rollup rows serve them only
when slices are whole hours (:func:`hourly_rows_suffice`), and day rows only when no
slice boundary falls inside a day, so the time-slice SLOs' reads use no day rows
(``read_sli_rows``' ``days``). Other SLOs read raw steps.

Sums read (:func:`plan_pieces`, :func:`read_sli_sums`, :func:`read_series_sums`): where
only window sums matter (Occurrences SLOs, cost), even the rows above are more than
needed. The cuts, the ends of the raw spans and ``end`` cut ``(L, end]`` into *pieces*,
each wholly raw or wholly whole hours, none holding a cut but at its end; the database
sums each piece (``Store.read_sli_sums_many``) and returns one row per key and piece,
at the newest ``ts`` summed, with the step count. A window ``(c, end]`` then holds
exactly the pieces after ``c``, so its sums are again those of its steps (ulps apart),
from a dozen rows per key instead of hundreds, and without a Python object per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ..domain import SLO, BudgetingMethod
from ..engine.methods import slice_seconds
from ..store.sample_layout import DAY, HOUR, day_end, floor_day, hour_end

Rows = tuple[np.ndarray, ...]  # (ts, values..., step_counts), sorted by ts


@dataclass(frozen=True)
class ReadPlan:
    """Which parts of ``(start, end]`` are read step by step, and which as rollup rows.

    ``raw``: disjoint, ascending ``(a, b]`` spans of steps. ``hourly``: disjoint,
    ascending ``(a, b]`` ranges of rollup hour ends to read (one per stretch between
    daily spans, so a few reads); the hours in ``raw_hours`` (ends of the hours read raw)
    are dropped from them. ``daily``: disjoint, ascending ``(a, b]`` ranges of UTC day
    ends read as daily rows, outside the hourly ranges.
    """

    start: int
    end: int
    raw: tuple[tuple[int, int], ...]
    hourly: tuple[tuple[int, int], ...]
    raw_hours: np.ndarray = field(repr=False)
    daily: tuple[tuple[int, int], ...] = ()

    def merge(self, raw: Sequence[np.ndarray], rollup: Sequence[np.ndarray]) -> Rows:
        """One key's ``(ts, values...)`` steps and ``(ts, values..., steps)`` rollup rows
        (hourly and daily) as ``(ts, values..., step_counts)`` sorted by ts."""
        raw_ts, *raw_values = raw
        hourly_ts, *hourly_values, hourly_steps = rollup
        keep = ~np.isin(hourly_ts, self.raw_hours)
        ts = np.concatenate((raw_ts, hourly_ts[keep]))
        order = np.argsort(ts, kind="stable")
        values = [np.concatenate((r, h[keep]))[order] for r, h in zip(raw_values, hourly_values)]
        counts = np.concatenate((np.ones(raw_ts.size, np.int64), hourly_steps[keep]))[order]
        return (ts[order], *values, counts)

    def is_raw(self, ts: int) -> bool:
        """Whether a row at ``ts`` is a step (inside a raw span), rather than a rollup row."""
        return _in_spans(ts, self.raw)


def _in_spans(ts: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < ts <= b for a, b in spans)


def plan_reads(cuts: Iterable[int], end: int, *, days: bool = True) -> ReadPlan:
    """The read of ``(min(cuts), end]`` for windows ``(c, end]``, ``c`` in ``cuts`` (module
    docstring); ``days=False`` reads whole days as their hours."""
    end = int(end)
    cuts = sorted({int(c) for c in cuts if c < end})
    if not cuts:
        return ReadPlan(end, end, (), (), np.empty(0, np.int64))
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
    daily = _whole_days(cuts, end) if days else ()
    hourly = _between(first, last, daily)
    return ReadPlan(start, end, tuple(spans), hourly, np.array(sorted(hours), np.int64), daily)


def _whole_days(cuts: Sequence[int], end: int) -> tuple[tuple[int, int], ...]:
    """Spans of the UTC days wholly inside ``(cuts[0], end]`` that no cut falls inside."""
    cut_days = {day_end(c) for c in cuts if c % DAY}
    spans: list[tuple[int, int]] = []
    for d in range(day_end(cuts[0]) + DAY, floor_day(end) + 1, DAY):
        if d in cut_days:
            continue
        if spans and spans[-1][1] == d - DAY:
            spans[-1] = (spans[-1][0], d)
        else:
            spans.append((d - DAY, d))
    return tuple(spans)


def _between(first: int, last: int, taken: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The parts of ``(first, last]`` outside the disjoint, ascending spans ``taken``."""
    out: list[tuple[int, int]] = []
    at = first
    for a, b in [*taken, (last, last)]:
        if min(a, last) > at:
            out.append((at, min(a, last)))
        at = max(at, b)
    return tuple(out)


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
        return ReadPlan(start, end, ((start, end),) if start < end else (), (), np.empty(0, np.int64))
    raw = ((start, first),) if start % HOUR else ()
    return ReadPlan(start, end, raw + ((recent, end),) if recent < end else raw, ((first, recent),),
                    np.empty(0, np.int64))


@dataclass(frozen=True)
class Pieces:
    """Disjoint, ascending ``(a, b]`` pieces of a read, each summed on its own: ``raw`` over
    steps, ``hourly`` over hourly rollup rows (their bounds are hour ends), ``daily`` over
    daily rows (bounds: UTC day ends)."""

    raw: tuple[tuple[int, int], ...]
    hourly: tuple[tuple[int, int], ...]
    daily: tuple[tuple[int, int], ...] = ()


def plan_pieces(cuts: Iterable[int], end: int) -> Pieces:
    """The pieces of the read of ``(min(cuts), end]`` for windows ``(c, end]``, ``c`` in ``cuts``:
    :func:`plan_reads`' spans, cut at every cut (module docstring)."""
    plan = plan_reads(cuts, end)
    bounds = sorted({int(c) for c in cuts if plan.start <= c < plan.end} | {plan.end}
                    | {edge for span in plan.raw + plan.daily for edge in span})
    raw: list[tuple[int, int]] = []
    hourly: list[tuple[int, int]] = []
    daily: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        (raw if plan.is_raw(b) else daily if _in_spans(b, plan.daily) else hourly).append((a, b))
    return Pieces(tuple(raw), tuple(hourly), tuple(daily))


def hourly_rows_suffice(slo: SLO, step_s: int) -> bool:
    """Whether ``slo`` can be evaluated on rollup rows: Occurrences always; the time-slice
    methods when a slice is a whole number of hours (slices are aligned to multiples of
    their length, so each rollup hour then lies inside one slice)."""
    return slo.budgeting is BudgetingMethod.OCCURRENCES or slice_seconds(slo, step_s) % HOUR == 0


def read_sli_rows(store, slo_ids: Sequence[str], cuts: Iterable[int], end: int, *,
                  days: bool = False) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` for windows ``(c, end]``, ``c`` in ``cuts``, in one read.

    Rows stand for at most an hour, as time slices of whole hours need; ``days=True``
    (Occurrences SLOs: only window sums count) reads whole days as day rows."""
    return read_sli_planned(store, slo_ids, plan_reads(cuts, end, days=days))


def read_sli_planned(store, slo_ids: Sequence[str], plan: ReadPlan) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` as ``plan`` reads them, in one read."""
    raw, rollup = store.read_sli_spans_many(slo_ids, plan.raw, plan.hourly, plan.daily)
    return {slo_id: plan.merge(raw[slo_id], rollup[slo_id]) for slo_id in raw}


def read_sli_sums(store, slo_ids: Sequence[str], cuts: Iterable[int], end: int) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}``, one row per piece (:func:`plan_pieces`), for
    the sums over windows ``(c, end]``, ``c`` in ``cuts`` (not for per-slice methods), in one read."""
    pieces = plan_pieces(cuts, end)
    sums = store.read_sli_sums_many(slo_ids, pieces.raw, pieces.hourly, pieces.daily)
    return {slo_id: rows[1:] for slo_id, rows in sums.items()}


PieceRows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # first ts, ts, sum of values, step_counts


def read_series_sums(store, kind: str, keys: Sequence[tuple[str, str]], cuts: Iterable[int], end: int,
                     *, exact_newest: bool = False) -> dict[tuple[str, str], PieceRows]:
    """``{(scope, name): (first, ts, sum, step_counts)}``, one row per piece, for the sums over
    windows ``(c, end]``, ``c`` in ``cuts``; ``first`` is the oldest step time in the piece.

    With ``exact_newest`` the newest row's ``ts`` is the newest step's time even when that
    row sums whole hours or days: the steps and hourly rows of its last hour or day are
    looked up, one read per distinct one (usually none or one). Where no step of it is
    stored (rollup-only history), the newest hour's end stands for it, as an hourly row
    would have; where no hour is either, the row's end stays.
    """
    pieces = plan_pieces(cuts, end)
    rows = store.read_series_sums_many(kind, keys, pieces.raw, pieces.hourly, pieces.daily)
    if not exact_newest:
        return rows
    by_period: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for key, (_first, ts, *_rest) in rows.items():
        if ts.size and not _in_spans(ts[-1], pieces.raw):
            newest = int(ts[-1])
            length = DAY if _in_spans(newest, pieces.daily) else HOUR
            by_period[(newest - length, newest)].append(key)
    out = dict(rows)
    for period, period_keys in by_period.items():
        steps, hours = store.read_series_spans_many(kind, period_keys, [period], period)
        for key in period_keys:
            step_ts, hour_ts = steps[key][0], hours[key][0]
            newest = step_ts[-1] if step_ts.size else hour_ts[-1] if hour_ts.size else None
            if newest is not None:
                first, ts, *rest = rows[key]
                out[key] = (first, np.append(ts[:-1], newest), *rest)
    return out
