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
still count; in these rows an hour read raw (a window starting inside it) whose steps
are gone counts nothing, exactly as a read of raw steps would (the sums read below
counts it from its rollup row). A daily row is the sum of its
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
needed. The cuts and ``end`` cut ``(L, end]`` into disjoint *pieces*, none holding a cut
but at its end: whole hours and days between them, and in each hour a window starts or
``end`` falls inside, the parts of the hour between the cuts (and ``end``). The
database sums each piece (``Store.read_sli_sums_many``) and returns one row per key and
piece, at the newest ``ts`` summed, with the step count. A window ``(c, end]`` then holds
exactly the pieces after ``c``, so its sums are again those of its steps (ulps apart),
from a dozen rows per key instead of hundreds, and without a Python object per row.

In an hour cut into parts, only the longest part is not read step by step: when it lies
after ``end`` or before the earliest cut, no window needs it; otherwise it is *derived*,
the hour's rollup row less the other parts' sums (values within ``DERIVED_ZERO`` of the
hour's are rounding, and read as 0). So a status reads the steps of at most half of
an hour cut once, a quarter on average, and at the live edge the minutes between
``end`` and the next hour hold no steps yet. Where an hour's steps are gone
(retention, or history kept as sums only), its rollup row still counts it whole: all
of it in the derived part, none in the parts read step by step; the longer windows get
the exact hour, a window starting or ending inside it the hour or none of it, where a
read of steps would count nothing of the hour in any window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from ..domain import SLO, BudgetingMethod
from ..engine.methods import slice_seconds
from ..store.sample_rows import ACROSS
from ..store.samples import PieceSums
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
    """Pieces of a read of ``(start, end]``, each summed on its own, and how they make the
    windows' disjoint pieces (module docstring).

    ``raw``: ``(a, b]`` pieces summed over steps, each inside one hour; those outside
    ``(start, end]`` (``helper``) are read only to derive a piece. ``hourly`` over hourly
    rollup rows (bounds: hour ends), ``daily`` over daily rows (bounds: UTC day ends).
    ``derived``: ``(a, b, h)``, the piece ``(a, b]`` of the hour ending at ``h`` that is
    that hour's rollup row less the raw pieces inside it (``split_hours``: those hours'
    ``(h - 3600, h]``, read from the hourly rollup as well).
    """

    start: int
    end: int
    raw: tuple[tuple[int, int], ...]
    hourly: tuple[tuple[int, int], ...]
    daily: tuple[tuple[int, int], ...] = ()
    derived: tuple[tuple[int, int, int], ...] = ()

    @property
    def split_hours(self) -> tuple[tuple[int, int], ...]:
        return tuple((h - HOUR, h) for _a, _b, h in self.derived)

    def helper(self, piece: tuple[int, int]) -> bool:
        return piece[1] <= self.start or piece[0] >= self.end


def plan_pieces(cuts: Iterable[int], end: int) -> Pieces:
    """The pieces of the read of ``(min(cuts), end]`` for windows ``(c, end]``, ``c`` in ``cuts``:
    :func:`plan_reads`' whole hours and days, cut at every cut, and the hours it reads raw
    (those a window starts or ``end`` falls inside) cut at the cuts and ``end`` into
    sub-pieces, all read raw but the longest, which is derived from the hour's rollup row
    (or not read at all, when it lies outside the read)."""
    plan = plan_reads(cuts, end)
    if plan.start == plan.end:
        return Pieces(plan.start, plan.end, (), ())
    split = {int(h) for h in plan.raw_hours}
    window_edges = {int(c) for c in cuts if plan.start <= c < plan.end} | {plan.end}
    bounds = sorted(window_edges | {e for span in plan.daily for e in span} | {e for h in split for e in (h - HOUR, h)})
    hourly: list[tuple[int, int]] = []
    daily: list[tuple[int, int]] = []
    in_hour: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in zip(bounds, bounds[1:]):
        h = hour_end(b)
        if h in split and a >= h - HOUR:
            in_hour[h].append((a, b))
        elif a >= plan.start and b <= plan.end:
            (daily if _in_spans(b, plan.daily) else hourly).append((a, b))
    raw: list[tuple[int, int]] = []
    derived: list[tuple[int, int, int]] = []
    for h, subs in sorted(in_hour.items()):
        # The longest sub-piece (a piece outside the read first, on a tie: it needs no subtraction).
        longest = max(subs, key=lambda p: (p[1] - p[0], p[1] <= plan.start or p[0] >= plan.end))
        if not (longest[1] <= plan.start or longest[0] >= plan.end):
            derived.append((*longest, h))
        raw += [p for p in subs if p != longest]
    return Pieces(plan.start, plan.end, tuple(raw), tuple(hourly), tuple(daily), tuple(derived))


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
    sums = _window_piece_sums(pieces, lambda *asked: store.read_sli_sums_many(slo_ids, *asked))
    return {slo_id: rows[1:] for slo_id, rows in sums.by_name().items()}


# A derived piece within this fraction of its hour's sums is zero: what is left of the
# subtraction there is rounding (about 60 ulps of the hour at most), not counts.
DERIVED_ZERO = 1e-12


def _window_piece_sums(pieces: Pieces, read: Callable[..., PieceSums]) -> PieceSums:
    """The sums of the windows' disjoint pieces: ``read(raw, hourly, daily)`` of ``pieces``
    (the split hours' rows among the hourly ones), each derived piece computed as its
    hour's rollup row less the raw pieces inside that hour, and the helper pieces and
    hour rows dropped. Vectorised over all keys: a status reads a thousand."""
    hourly = sorted(pieces.hourly + pieces.split_hours)
    got = read(pieces.raw, hourly, pieces.daily)
    asked = [*pieces.raw, *hourly, *pieces.daily]
    split_of = {h: j for j, (_a, _b, h) in enumerate(pieces.derived)}
    split_rows = set(pieces.split_hours)
    group = np.full(len(asked) + 1, -1, np.int64)  # the derived piece a raw piece or hour row makes; -1: none
    hour_row = np.zeros(len(asked) + 1, bool)
    kept = np.ones(len(asked) + 1, bool)
    for i, (a, b) in enumerate(asked):
        if i < len(pieces.raw):
            group[i], kept[i] = split_of.get(hour_end(b), -1), not pieces.helper((a, b))
        elif i < len(pieces.raw) + len(hourly) and (a, b) in split_rows:
            group[i], hour_row[i], kept[i] = split_of[b], True, False
    keep = kept[got.piece]
    columns = [got.key[keep], got.piece[keep], got.first[keep], got.last[keep],
               *(v[keep] for v in got.values), got.steps[keep]]
    if pieces.derived:
        columns = [np.concatenate(pair) for pair in zip(columns, _derived_rows(pieces, got, group, hour_row, len(asked)))]
    key, piece, first, last, *values, steps = columns
    order = np.lexsort((last, key))
    return PieceSums(got.names, key[order], piece[order], first[order], last[order],
                     [v[order] for v in values], steps[order])


def _derived_rows(pieces: Pieces, got: PieceSums, group: np.ndarray, hour_row: np.ndarray, first_id: int):
    """``(key, piece, first, last, *values, steps)`` of the derived pieces, for every key with
    the hour's rollup row and steps left in the piece; ``piece`` counts on from ``first_id``,
    ``first`` and ``last`` are the piece's end (no step time is read for it)."""
    n_derived = len(pieces.derived)
    keys, key_index = np.unique(got.key, return_inverse=True)
    g, is_hour = group[got.piece], hour_row[got.piece]
    slot = key_index * n_derived + g
    size = keys.size * n_derived
    inside = (g >= 0) & ~is_hour
    has_hour = np.zeros(size, bool)
    has_hour[slot[is_hour]] = True

    def less_inside(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hour = np.zeros(size)
        hour[slot[is_hour]] = column[is_hour]  # one rollup row per key and split hour
        return hour, hour - np.bincount(slot[inside], weights=column[inside], minlength=size)

    _hour_steps, steps = less_inside(got.steps)
    values = []
    for column in got.values:
        hour, left = less_inside(column.astype(np.float64))
        values.append(np.where(np.abs(left) <= DERIVED_ZERO * np.abs(hour), 0.0, left).astype(column.dtype))
    present = has_hour & (np.rint(steps) > 0)
    at = np.flatnonzero(present)
    ends = np.array([b for _a, b, _h in pieces.derived], np.int64)[at % n_derived]
    return (keys[at // n_derived], first_id + at % n_derived, ends, ends,
            *(v[at] for v in values), np.rint(steps[at]).astype(got.steps.dtype))


PieceRows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # first ts, ts, sum of values, step_counts


def read_series_sums_across(store, kind: str, keys: Sequence[tuple[str, str]], cuts: Iterable[int],
                            end: int) -> PieceRows:
    """:func:`read_series_sums` of ``keys`` summed together by the database, as one series:
    ``(first, ts, sum, step_counts)``, one row per piece (a scope's chart over all its series)."""
    pieces = plan_pieces(cuts, end)
    sums = _window_piece_sums(pieces, lambda *asked: store.read_series_sums_many(kind, keys, *asked, across=True))
    return sums.by_name()[ACROSS]


def read_series_sums(store, kind: str, keys: Sequence[tuple[str, str]], cuts: Iterable[int], end: int,
                     *, exact_newest: bool = False) -> dict[tuple[str, str], PieceRows]:
    """``{(scope, name): (first, ts, sum, step_counts)}``, one row per piece, for the sums over
    windows ``(c, end]``, ``c`` in ``cuts``; ``first`` is the oldest step time in the piece
    (a piece's end where it is derived from its hour's rollup row).

    With ``exact_newest`` the newest row's ``ts`` is the newest step's time even when that
    row sums whole hours or days or is derived: the steps and hourly rows of its last hour or day are
    looked up, one read per distinct one (usually none or one). Where no step of it is
    stored (rollup-only history), the newest hour's end stands for it, as an hourly row
    would have; where no hour is either, the row's end stays.
    """
    pieces = plan_pieces(cuts, end)
    rows = _window_piece_sums(pieces, lambda *asked: store.read_series_sums_many(kind, keys, *asked)).by_name()
    if not exact_newest:
        return rows
    by_period: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for key, (_first, ts, *_rest) in rows.items():
        if ts.size and not _in_spans(ts[-1], pieces.raw):
            newest = int(ts[-1])
            length = DAY if _in_spans(newest, pieces.daily) else HOUR  # hourly or derived: inside one hour
            by_period[(newest - length, newest)].append(key)
    out = dict(rows)
    for period, period_keys in by_period.items():
        # The database finds each series' newest step (and newest hour) in the period: one
        # row per series, where reading the steps themselves was 60 rows each.
        found = store.read_series_sums_many(kind, period_keys, [period], [period])
        # Piece 0 sums the steps, piece 1 the hours: where a series has both, its newest step.
        order = np.lexsort((found.piece, found.key))
        keys, first_row = np.unique(found.key[order], return_index=True)
        newest = dict(zip(keys.tolist(), found.last[order][first_row].tolist()))
        for key in period_keys:
            if found.names[key] in newest:
                first, ts, *rest = rows[key]
                out[key] = (first, np.append(ts[:-1], newest[found.names[key]]), *rest)
    return out
