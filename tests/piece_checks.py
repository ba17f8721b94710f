"""What a test of the sums read (``reads.plan.plan_pieces``) checks before it expects the
hourly plan's figures: whether the hours the plan splits still hold all their steps."""

from __future__ import annotations

from sloboard.reads.plan import plan_pieces

HOUR = 3600


def split_hours_keep_their_steps(store, slo_id: str, cuts, at: int) -> bool:
    """Whether every hour that the sums read of ``cuts`` at ``at`` splits holds as many steps
    as its hourly rollup row counts. Where one does not (retention took its steps, or they
    were kept as sums only), the piece derived from the row counts them, while a read of
    steps finds none there."""
    pieces = plan_pieces(cuts, at)
    for _a, _b, h in pieces.derived:
        hour_ts, *_sums, steps = store.read_sli_hourly_many([slo_id], h - HOUR, h)[slo_id]
        stored = store.read_sli_samples(slo_id, h - HOUR, h)[0].size
        if int(steps.sum()) != stored:
            return False
    return True
