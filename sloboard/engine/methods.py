"""The OpenSLO v1 budgeting methods, as units that the error budget counts.

Each method turns the steps of a window into units, each with a ``weight`` (how
much it counts) and ``bad`` (how much of that weight is bad). Then, for every method,

    SLI = 1 - Σ bad / Σ weight        budget consumed = (1 - SLI) / (1 - objective)

- Occurrences: one unit per step; weight = total events, bad = total - good.
- Timeslices: one unit per time slice with events; weight 1, bad 1 when the slice's
  ratio good/total is below ``timeslice_target`` (OpenSLO ``timeSliceTarget``).
  So SLI = good slices / slices.
- RatioTimeslices: one unit per time slice with events; weight 1, bad = 1 - ratio.
  So SLI = mean of the slice ratios.

Slices are aligned to multiples of the slice length in epoch time: the step ending
at ``ts`` belongs to the slice ending at ``ceil(ts / slice) × slice``. The first and
the last slice of a window may be partial; they are judged on the steps they hold.
A slice without data or without events is neither good nor bad: it is left out.
A row that is an hourly rollup (see ``engine.steps``) lies wholly inside one slice
when the slice length is a whole number of hours, so the slice sums are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..domain import SLO, BudgetingMethod
from .steps import Counts, Steps


@dataclass(frozen=True)
class BudgetUnits:
    ends: np.ndarray  # epoch end of each unit
    weight: np.ndarray
    bad: np.ndarray

    def totals(self) -> tuple[float, float]:
        """(Σ weight, Σ bad): events or slices counted, and how much of them is bad."""
        return float(self.weight.sum()), float(self.bad.sum())


def budget_units(method: BudgetingMethod, steps: Steps, slice_s: int, timeslice_target: float) -> BudgetUnits:
    """The units of ``steps`` under ``method`` (see the module docstring)."""
    if method is BudgetingMethod.OCCURRENCES:
        good, total = steps.zero_filled()
        return BudgetUnits(steps.ts, total, total - good)
    ends, slice_ratio = slice_ratios(steps, slice_s)
    counted = ~np.isnan(slice_ratio)
    ends, slice_ratio = ends[counted], slice_ratio[counted]
    if method is BudgetingMethod.TIMESLICES:
        bad = (slice_ratio < timeslice_target).astype(np.float64)
    else:
        bad = 1.0 - slice_ratio
    return BudgetUnits(ends, np.broadcast_to(1.0, slice_ratio.shape), bad)  # weight 1 each, without a copy


def slice_ratios(steps: Steps, slice_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Slice end times and good/total per slice (NaN for a slice without events), vectorised.

    Steps are grouped by their slice's end; since ``ts`` is sorted the groups are
    contiguous, so one ``np.add.reduceat`` sums each of them.
    """
    if steps.ts.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    slice_end = -(-steps.ts // slice_s) * slice_s
    first = np.flatnonzero(np.concatenate(([True], slice_end[1:] != slice_end[:-1])))
    ratio = np.full(first.size, np.nan)
    if first.size == steps.ts.size:  # every step is a slice of its own (slice = step): nothing to group
        np.divide(steps.good, steps.total, out=ratio, where=steps.has_data & (steps.total > 0))
        return slice_end, ratio
    good, total = steps.zero_filled()
    good, total = np.add.reduceat(good, first), np.add.reduceat(total, first)
    np.divide(good, total, out=ratio, where=total > 0)
    return slice_end[first], ratio


def budget_totals(slo: SLO, counts: Counts, window_steps: Callable[[], Steps], step_s: int) -> tuple[float, float]:
    """(Σ weight, Σ bad) of the SLO's units over a window whose sums are ``counts``.

    For Occurrences this is (total, total - good) straight from ``counts``, with
    no per-step arrays: the hot path of every status. The slice methods judge each
    slice, so they call ``window_steps`` for the window's steps.
    """
    if slo.budgeting is BudgetingMethod.OCCURRENCES:
        return counts.total, counts.bad
    return slo_budget_units(slo, window_steps(), step_s).totals()


def slice_seconds(slo: SLO, step_s: int) -> int:
    """The SLO's time-slice length: ``slo.timeslice_window``, by default one step."""
    return int(slo.timeslice_window.total_seconds()) if slo.timeslice_window else step_s


def slo_budget_units(slo: SLO, steps: Steps, step_s: int) -> BudgetUnits:
    """:func:`budget_units` with the SLO's settings.

    The slice length is :func:`slice_seconds`. The Timeslices target is
    ``slo.timeslice_target``, by default the objective.
    """
    target = slo.objective if slo.timeslice_target is None else slo.timeslice_target
    return budget_units(slo.budgeting, steps, slice_seconds(slo, step_s), target)
