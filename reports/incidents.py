"""Incidents as a report names them: runs of hours in which an SLO burned its budget at
least as fast as the fastest page alert of the SRE workbook (14.4 times the sustainable
rate, which spends 2 % of a 30-day budget in one hour).

Read from the hourly rollups (whole hours, so a quarter of 100 SLOs is 220,000 rows, not
13 million steps). The budget an incident burned is its bad events over the bad events
the SLO may have in the whole period (``(1 - objective) * total events of the period``),
so incidents of one period compare with each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sloboard.domain import SLO
from sloboard.store.sample_layout import HOUR

from .periods import Period

PAGE_BURN_RATE = 14.4


@dataclass(frozen=True)
class Incident:
    slo_id: str
    start: int  # the first hot hour's start
    end: int  # the last hot hour's end
    bad: float
    budget_burned: float  # share of the period's budget


def incidents(store, slos: Sequence[SLO], period: Period, *, threshold: float = PAGE_BURN_RATE) -> list[Incident]:
    """Every incident of ``slos`` in the period, the most budget burned first (ties: oldest first)."""
    if not slos:
        return []
    hourly = store.read_sli_hourly_many([s.id for s in slos], period.start, period.end)
    out = []
    for slo in slos:
        ts, good, total, _steps = hourly[slo.id]
        allowed = (1.0 - slo.objective) * float(np.nansum(total))
        if ts.size == 0 or allowed <= 0:
            continue
        bad = np.nan_to_num(total - good)
        hot = (total > 0) & (bad > threshold * (1.0 - slo.objective) * total)
        # Runs of consecutive hot hours (an hour without a row ends a run).
        breaks = np.flatnonzero(~hot[1:] | ~hot[:-1] | (np.diff(ts) != HOUR)) + 1
        for run in np.split(np.arange(ts.size), breaks):
            run = run[hot[run]]
            if run.size:
                burned = float(bad[run].sum())
                out.append(Incident(slo.id, int(ts[run[0]]) - HOUR, int(ts[run[-1]]), burned, burned / allowed))
    return sorted(out, key=lambda i: (-i.budget_burned, i.start, i.slo_id))
