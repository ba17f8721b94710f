"""How long the store keeps per-step rows and hourly rollups, and what follows from it.

Per-step rows (SLI counts, cost, golden signals) are kept for a while so that windows
can start at any minute; hourly rollups keep the long history. The same policy decides
two things: which rows the hourly prune deletes (:meth:`Retention.cutoffs`), and which
incoming steps are already too old to keep as steps (:meth:`Retention.raw_horizon`):
those are written as hourly sums only, which is what the store would hold once the
prune had run. A year of backfill then costs its hourly rows, not 60 times as many
steps written and deleted (and a SQLite file that never shrinks back).

Golden signals also keep their hourly rows for less time than the long history
(``golden_hourly_s``, as downsampling keeps coarser resolutions longer): past it only
their daily rows stay, for ``rollup_s``. That horizon is a day boundary
(:meth:`Retention.day_horizon`), so a day keeps all its hours or none: the prune deletes
whole days of hours, and a backfill writes whole days older than it as daily sums only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sample_layout import floor_day, floor_hour

GOLDEN = "golden"  # the series kind with its own, shorter step retention


@dataclass(frozen=True)
class Retention:
    """Retention in seconds: ``raw_s`` for SLI and cost steps, ``golden_raw_s`` for
    golden-signal steps, ``rollup_s`` for rollup rows, ``golden_hourly_s`` for the hourly
    rows of golden signals (None: ``rollup_s``, as the other kinds)."""

    raw_s: int
    golden_raw_s: int
    rollup_s: int
    golden_hourly_s: int | None = None

    @classmethod
    def from_settings(cls, collect) -> "Retention":
        """From ``settings.collect`` (``raw_retention``, ``golden_raw_retention``, ``rollup_retention``,
        ``golden_hourly_retention``)."""
        from ..domain import parse_duration

        def seconds(duration: str) -> int:
            return int(parse_duration(duration).total_seconds())

        return cls(seconds(collect.raw_retention), seconds(collect.golden_raw_retention),
                   seconds(collect.rollup_retention), seconds(collect.golden_hourly_retention))

    def raw_seconds(self, kind: str | None) -> int:
        """Step retention of SLI samples (``kind`` None) or of a series kind."""
        return self.golden_raw_s if kind == GOLDEN else self.raw_s

    def raw_horizon(self, kind: str | None, now: float) -> int:
        """Steps of whole hours ending at or before this time are kept as hourly sums only."""
        return floor_hour(int(now) - self.raw_seconds(kind))

    def day_horizon(self, kind: str | None, now: float) -> int | None:
        """Days of ``kind`` ending at or before this UTC day boundary are kept as daily rows
        only; None when the kind keeps its hours as long as its days."""
        if kind != GOLDEN or self.golden_hourly_s is None or self.golden_hourly_s >= self.rollup_s:
            return None
        return floor_day(int(now) - self.golden_hourly_s)

    def cutoffs(self, now: float) -> tuple[int, dict[str, int], int, dict[str, int]]:
        """What the prune deletes at ``now``: ``(step cutoff, {kind: step cutoff}, rollup cutoff,
        {kind: hourly cutoff})``, the arguments of ``Store.delete_samples_before``."""
        now = int(now)
        day_horizon = self.day_horizon(GOLDEN, now)
        hourly = {} if day_horizon is None else {GOLDEN: day_horizon}
        return now - self.raw_s, {GOLDEN: now - self.golden_raw_s}, now - self.rollup_s, hourly
