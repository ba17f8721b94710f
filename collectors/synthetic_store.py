"""The synthetic fleet written into a store as a collector would have written it: the
demo's seeded history (``seed_store``) and its new minutes as time passes
(``extend_store``), with the golden signals computed per step as the shipped PromQL
queries compute them (``golden_signal_values``)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from sloboard.domain import SLO

from .synthetic import (
    BLOCK_DAYS,
    COST_SERIES_NAME,
    DAY_S,
    LATENCY_BOUNDS_S,
    Fleet,
    ServiceProfile,
    ServiceSeries,
    service_cost_usd,
    sli_of,
    stretch_fleet,
)


def histogram_quantile(q: float, bounds: Sequence[float], buckets: np.ndarray) -> np.ndarray:
    """Per row, Prometheus' ``histogram_quantile``: linear interpolation inside the bucket
    holding rank ``q * count``, the lowest bucket starting at 0; a rank in the +Inf bucket
    gives the highest finite bound; no requests give NaN.

    ``buckets`` is (rows, len(bounds) + 1) cumulative counts, the last column +Inf.
    """
    counts = buckets.astype(np.float64)
    total = counts[:, -1]
    rank = q * total
    b = np.argmax(counts >= rank[:, None], axis=1)
    upper = np.append(np.asarray(bounds, dtype=np.float64), np.nan)
    lower = np.concatenate([[0.0], upper[:-1]])
    rows = np.arange(counts.shape[0])
    below = np.where(b > 0, counts[rows, np.maximum(b - 1, 0)], 0.0)
    inside = counts[rows, b] - below
    frac = np.divide(rank - below, inside, out=np.ones_like(rank), where=inside > 0)
    value = lower[b] + (upper[b] - lower[b]) * frac
    value = np.where(b == len(bounds), upper[len(bounds) - 1], value)
    return np.where(total > 0, value, np.nan)


def golden_signal_values(series: ServiceSeries, step_s: int) -> dict[str, np.ndarray]:
    """The four golden signals per step, as the shipped PromQL queries compute them:
    traffic (req/s), error_ratio (5xx share, NaN without requests), latency p50/p95/p99
    (``histogram_quantile``) and saturation."""
    total = series.requests().astype(np.float64)
    out = {
        "traffic": total / step_s,
        "error_ratio": np.divide(series.requests("5xx"), total, out=np.full(total.size, np.nan), where=total > 0),
        "saturation": series.saturation.astype(np.float64),
    }
    for q, name in ((0.5, "latency_p50"), (0.95, "latency_p95"), (0.99, "latency_p99")):
        out[name] = histogram_quantile(q, LATENCY_BOUNDS_S, series.buckets)
    return out


Progress = Callable[[int, int], None]


def seed_store(store, fleet: Fleet, slos: Sequence[SLO], *, progress: Progress | None = None) -> int:
    """Write the fleet into ``store`` through its public API and return the number of samples.

    Syncs ``slos``; then, per service and 7-day block: SLI samples of every SLO on that
    service (``sli_of``), the golden signals (kind ``golden``, scope = service) and the
    OpenCost cost in USD per step (kind ``cost``, scope ``service:NAME``, name ``opencost``,
    as the OpenCost collector writes it; teams are summed from services when read, so
    no team series is written); finally every deployment, in one transaction. Steps
    without requests have no error ratio or latency: those samples are left out, never 0.
    Each block is written with its span, as a collector writes a chunk, so a store opened
    with a ``retention`` keeps the steps it would have pruned as hourly sums only.
    ``progress(done, total)`` is called after each block.
    """
    store.sync_slos(list(slos))
    by_service: dict[str, list[SLO]] = {}
    for slo in slos:
        if slo.service in fleet.service_names:
            by_service.setdefault(slo.service, []).append(slo)
    blocks_per_service = -(-fleet.ts.size // (BLOCK_DAYS * DAY_S // fleet.step_s))
    total_blocks = blocks_per_service * len(fleet.profiles)
    done = written = 0
    for profile in fleet.profiles:
        pods = fleet.pods_of(profile.name)
        for block in fleet.iter_series(profile.name):
            span = (int(block.ts[0]) - fleet.step_s, int(block.ts[-1]))
            for slo in by_service.get(profile.name, ()):
                good, total = sli_of(slo, block)
                written += store.write_sli_samples(
                    slo.id, block.ts, good.astype(np.float64), total.astype(np.float64), span=span
                )
            for name, values in golden_signal_values(block, fleet.step_s).items():
                keep = ~np.isnan(values)
                written += store.write_series("golden", profile.name, name, block.ts[keep], values[keep], span=span)
            cost = service_cost_usd(block, pods, fleet.step_s)
            written += store.write_series("cost", f"service:{profile.name}", COST_SERIES_NAME, block.ts, cost,
                                          span=span)
            done += 1
            if progress is not None:
                progress(done, total_blocks)
    store.record_deployments(fleet.deployments)
    return written


def extend_store(store, profiles: Sequence[ServiceProfile], slos: Sequence[SLO], start: int, end: int, *,
                 step_s: int = 60, seed: int = 0) -> int:
    """Write the steps ``(start, end]`` of a fleet that goes on running: the demo's new
    minutes as time passes, so that its data never goes stale. Returns samples written.

    The stretch is a fleet of its own (``generate_fleet`` over just those steps), so it
    plans the deployments and incidents that fit in it. Its random streams are seeded by
    ``seed`` and ``start`` together: each stretch draws fresh numbers, and the same
    stretch always the same ones.
    """
    return seed_store(store, stretch_fleet(profiles, start, end, step_s=step_s, seed=seed), slos)
