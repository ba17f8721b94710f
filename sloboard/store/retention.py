"""How long the store keeps per-step rows and hourly rollups, and what follows from it.

Per-step rows (SLI counts, cost, golden signals) are kept for a while so that windows
can start at any minute; hourly rollups keep the long history. The same policy decides
two things: which rows the hourly prune deletes (:meth:`Retention.cutoffs`), and which
incoming steps are already too old to keep as steps (:meth:`Retention.raw_horizon`):
those are written as hourly sums only, which is what the store would hold once the
prune had run. A year of backfill then costs its hourly rows, not 60 times as many
steps written and deleted (and a SQLite file that never shrinks back).
"""

from __future__ import annotations

from dataclasses import dataclass

from .sample_layout import floor_hour

GOLDEN = "golden"  # the series kind with its own, shorter step retention


@dataclass(frozen=True)
class Retention:
    """Retention in seconds: ``raw_s`` for SLI and cost steps, ``golden_raw_s`` for
    golden-signal steps, ``rollup_s`` for hourly rollup rows."""

    raw_s: int
    golden_raw_s: int
    rollup_s: int

    @classmethod
    def from_settings(cls, collect) -> "Retention":
        """From ``settings.collect`` (``raw_retention``, ``golden_raw_retention``, ``rollup_retention``)."""
        from ..domain import parse_duration

        def seconds(duration: str) -> int:
            return int(parse_duration(duration).total_seconds())

        return cls(seconds(collect.raw_retention), seconds(collect.golden_raw_retention),
                   seconds(collect.rollup_retention))

    def raw_seconds(self, kind: str | None) -> int:
        """Step retention of SLI samples (``kind`` None) or of a series kind."""
        return self.golden_raw_s if kind == GOLDEN else self.raw_s

    def raw_horizon(self, kind: str | None, now: float) -> int:
        """Steps of whole hours ending at or before this time are kept as hourly sums only."""
        return floor_hour(int(now) - self.raw_seconds(kind))

    def cutoffs(self, now: float) -> tuple[int, dict[str, int], int]:
        """What the prune deletes at ``now``: ``(step cutoff, {kind: step cutoff}, rollup cutoff)``,
        the arguments of ``Store.delete_samples_before``."""
        now = int(now)
        return now - self.raw_s, {GOLDEN: now - self.golden_raw_s}, now - self.rollup_s
