"""Missing steps and the longest gap (``reads.health.sample_gaps``) from complete hours folded
by the store equal a walk over every stored step, on a real store (SQLite and PostgreSQL),
for arbitrary holes, windows cut inside hours, steps that do not divide an hour, and steps
not due yet."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloboard.domain import Window
from sloboard.reads.health import sample_gaps
from tests.factories import make_slo

HOUR = 3600
H0 = 1_800_000_000 - 1_800_000_000 % (7 * HOUR)  # an hour boundary on every step grid below
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_example = itertools.count()  # examples share one store: each writes SLOs of its own


def _walk(stored: list[int], start: int, at: int, due_until: int, step_s: int) -> tuple[int, int, int, int | None]:
    """(expected, present, longest gap, newest) by visiting every stored step in turn."""
    present, longest, previous = 0, 0, start
    for t in stored:
        if start < t <= due_until:
            present += 1
            longest = max(longest, t - previous - step_s)
            previous = t
    longest = max(longest, due_until + step_s - previous - step_s)
    in_window = [t for t in stored if start < t <= at]
    return max(0, (due_until - start) // step_s), present, longest, (in_window[-1] if in_window else None)


@st.composite
def gappy_fleets(draw):
    step_s = draw(st.sampled_from([60, 120, 420]))  # 420 s: no hour holds a whole number of steps
    hours = draw(st.integers(1, 8))
    grid = H0 + step_s * np.arange(1, hours * HOUR // step_s + 1, dtype=np.int64)
    slos = []
    for _ in range(draw(st.integers(1, 3))):
        keep = np.ones(grid.size, bool)
        for first, length in draw(st.lists(st.tuples(st.integers(0, grid.size - 1), st.integers(1, 90)), max_size=4)):
            keep[first:first + length] = False  # a hole
        window_s = draw(st.integers(step_s, hours * HOUR + HOUR))
        slos.append((grid[keep], window_s))
    at = int(grid[-1]) - draw(st.integers(0, 3 * step_s))  # often off the step grid
    return step_s, slos, at, draw(st.sampled_from([0, 3 * step_s]))


@PROPERTY
@given(gappy_fleets())
def test_gaps_from_folded_hours_equal_a_walk_over_every_step(store, fleet):
    step_s, written, at, not_due_s = fleet
    example = next(_example)
    slos = [make_slo(id=f"svc{example}/slo{i}", service=f"svc{example}", name=f"slo{i}", spec_hash=f"{example}-{i}",
                     window=Window(duration=timedelta(seconds=window_s)))
            for i, (_ts, window_s) in enumerate(written)]
    store.sync_slos(slos)
    for slo, (ts, _window_s) in zip(slos, written):
        store.write_sli_samples(slo.id, ts, np.full(ts.size, 9.0), np.full(ts.size, 10.0))

    gaps = {g.slo_id: g for g in sample_gaps(store, slos, at, step_s, not_due_s=not_due_s)}

    due_until = (at - not_due_s) // step_s * step_s
    for slo, (ts, window_s) in zip(slos, written):
        got = gaps[slo.id]
        assert got.window_start == at - window_s and got.due_until == due_until
        want = _walk(ts.tolist(), at - window_s, at, due_until, step_s)
        assert (got.expected, got.present, got.longest_gap_s, got.newest) == want, slo.id


def test_a_month_of_complete_hours_is_counted_from_the_rollups(store):
    """Every step of a month but one hole: the count is right while only the hole's hour
    and the cut hours at the edges are read step by step."""
    slo = make_slo(window=Window(duration=timedelta(days=31)))
    store.sync_slos([slo])
    at = H0 + 31 * 86_400 + 1_234  # off the hour: both edges cut an hour
    ts = np.arange(at - 31 * 86_400 - 3_600, at + 1, 60, dtype=np.int64) // 60 * 60
    ts = np.unique(ts)
    hole = (ts > H0 + 5 * 86_400) & (ts <= H0 + 5 * 86_400 + 17 * 60)  # 17 steps in one hour
    store.write_sli_samples(slo.id, ts[~hole], np.ones((~hole).sum()), np.ones((~hole).sum()))

    (gaps,) = sample_gaps(store, [slo], at, 60)

    start = at - 31 * 86_400
    grid_points = (at // 60 * 60 - (start // 60 * 60 + 60)) // 60 + 1  # the steps of (start, at]
    assert gaps.present == grid_points - 17 and gaps.longest_gap_s == 17 * 60
    assert gaps.newest == at // 60 * 60
    complete, steps = store.read_sli_coverage_many([slo.id], start, at, 60)[slo.id]
    assert complete.size == 31 * 24 - 2  # every whole hour inside the window but the holed one
    assert steps.size == 60 - 17 + (-start % HOUR + 59) // 60 + (at % HOUR) // 60  # the holed hour, both cut hours
