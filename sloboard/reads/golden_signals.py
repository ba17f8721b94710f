"""Golden signals of one service per chart bucket: latency p50/p95/p99, traffic, error
ratio and saturation."""

from __future__ import annotations

import numpy as np

from ..engine.buckets import Series, bucket_mean, bucket_ratio

HOUR_S = 3600
DAY_S = 86_400


GOLDEN_SIGNALS = ("latency_p50", "latency_p95", "latency_p99", "traffic", "error_ratio", "saturation")


def golden_signals(store, service: str, start: int, end: int, bucket_s: int, *, raw_retention_s: int | None = None,
                   hourly_retention_s: int | None = None, now: int | None = None) -> dict[str, Series]:
    """The mean of each golden signal's per-step values in each bucket (no data: NaN).

    Steps are kept for ``raw_retention_s`` (``collect.golden_raw_retention``; None: all
    of them), older hours as hourly rollups only, and hours for ``hourly_retention_s``
    (``collect.golden_hourly_retention``; None: as long as the days), older whole UTC
    days as daily rollups only, counted back from ``now`` (the store's present; None:
    ``end``). A range starting before ``now - raw_retention_s`` is
    therefore drawn in buckets of whole hours (``bucket_s`` rounded up to a multiple of
    an hour): each bucket's mean is the sum of its steps over their count, from the
    rollup rows of its whole hours and the raw steps of the partial last hour
    ``(floor_hour(end), end]``. The hour holding ``start`` then counts whole. A range
    starting before the day horizon ``floor_day(now - hourly_retention_s)`` is drawn in
    buckets of whole days the same way, its days before the horizon from their daily
    rows (the day holding ``start`` counts whole), so old history is coarser, never a
    gap; a range ending before the horizon leaves out the day ``end`` lies inside (its
    row holds later steps). Shorter ranges are means of the raw steps in the buckets asked.
    """
    keys = [(service, name) for name in GOLDEN_SIGNALS]
    now = end if now is None else now
    if raw_retention_s is None or start >= now - raw_retention_s:
        raw = store.read_series_many("golden", keys, start, end)
        return {name: bucket_mean(*raw[(service, name)], start, end, bucket_s) for name in GOLDEN_SIGNALS}
    day_horizon = None if hourly_retention_s is None else (now - hourly_retention_s) // DAY_S * DAY_S
    if day_horizon is not None and start < day_horizon:
        hours_from = min(day_horizon, end - end % DAY_S)
        bucket_s, days = -(-bucket_s // DAY_S) * DAY_S, (start, hours_from)
    else:
        bucket_s, hours_from, days = -(-bucket_s // HOUR_S) * HOUR_S, start, None
    last_hour = end - end % HOUR_S
    steps, rollups = store.read_series_spans_many("golden", keys, [(last_hour, end)] if last_hour < end else [],
                                                  (hours_from, last_hour), days)
    out = {}
    for name in GOLDEN_SIGNALS:
        (h_ts, h_sums, h_steps), (r_ts, r_values) = rollups[(service, name)], steps[(service, name)]
        out[name] = bucket_ratio(np.concatenate((h_ts, r_ts)), np.concatenate((h_sums, r_values)),
                                  np.concatenate((h_steps, np.ones(r_ts.size))), start, end, bucket_s)
    return out
