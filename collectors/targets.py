"""What a collection pass keeps up to date: one ``Target`` per watermark.

Each target fetches one chunk ``[start, end]`` (step-aligned points, each covering the
step that ends at it) and writes it together with its watermark in one transaction, so
a killed pass leaves neither holes nor duplicates. A chunk split into several series
(cost per namespace, a grouped golden signal per service) moves the watermark with the
last one: a killed pass repeats the chunk, and the upsert stores it once.

Each write names its span ``(start - step, end]``: the chunk is all the source has for
those steps, so a store with a retention keeps whole hours older than it as hourly
sums only (a long backfill never writes the steps the prune would delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

import numpy as np

from sloboard.domain import SLO, Deployment, DeployStatus, IndicatorKind
from sloboard.engine.cost import IDLE_SCOPE, idle_remainder
from sloboard.errors import EmptyAnswer, Problem, QueryRejected, SourceError, SpecError
from sloboard.store.retention import GOLDEN

from .indicator_queries import per_step_queries
from .promql import DEFAULT_LOOKBACK_S, presence_query
from .queries import Queries, fill
from .source import Source, SourceSeries


class Target(Protocol):
    key: str  # watermark and collector-run key
    kind: str | None  # the series kind it writes, None for SLI samples and deployments (see Store.day_horizon)
    label: str  # for messages: what this is and where it was defined
    # Keys under which an earlier layout collected the same data: without a watermark of
    # its own, the target resumes from the oldest of theirs instead of backfilling again.
    previous_keys: tuple[str, ...]

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        """Fetch ``[start, end]`` and write it with watermark ``end``; return samples written."""


def grid(series: list[SourceSeries], start: int, end: int, step: int) -> np.ndarray:
    """Sum the series onto the step grid; NaN where no series has a point (no data)."""
    n = (end - start) // step + 1
    out = np.full(n, np.nan)
    for s in series:
        idx = (s.ts - start) // step
        keep = (idx >= 0) & (idx < n) & ~np.isnan(s.values)
        idx, vals = idx[keep], s.values[keep]
        out[idx] = np.where(np.isnan(out[idx]), 0.0, out[idx])
        np.add.at(out, idx, vals)
    return out


class StepsMissing(Exception):
    """A chunk was written, but the source left steps empty where the query's series had
    samples: a data-quality problem to report, not a failure of the pass."""

    def __init__(self, samples: int, message: str):
        super().__init__(message)
        self.samples = samples


def fetch(source: Source, promql: str, start: int, end: int, step: int, what: str) -> list[SourceSeries]:
    """``source.query_range``, with a query the source refuses named after ``what`` (the
    target's label), so the failed run says which SLO or signal to fix."""
    try:
        return source.query_range(promql, start, end, step)
    except QueryRejected as exc:
        raise QueryRejected(f"{what}: {exc}") from exc


@dataclass(frozen=True)
class SLITarget:
    """Per-step good and total counts of one SLO."""

    slo: SLO
    lookback_s: int = DEFAULT_LOOKBACK_S

    previous_keys = ()
    kind = None

    @property
    def key(self) -> str:
        return f"sli:{self.slo.id}"

    @property
    def label(self) -> str:
        src = self.slo.source
        return f"SLO {self.slo.id}" + (f" ({src.path}:{src.line})" if src else "")

    def per_step_queries(self, step: int) -> tuple[str, str]:
        """The numerator (good or bad) and total queries, rewritten to count per step: events,
        a raw ratio's slices or a gauge's samples (``indicator_queries``).

        Raises SpecError naming the spec file and line when a query cannot be rewritten
        (e.g. ``rate(x[5m])`` in counter mode), which validation only warns about.
        """
        try:
            return per_step_queries(self.slo.indicator, step, self.lookback_s)
        except ValueError as exc:
            src = self.slo.source
            problem = Problem(src.path if src else "?", src.line if src else 0, "indicator",
                              f"SLO {self.slo.id}: cannot count events per step: {exc}", slo_id=self.slo.id)
            raise SpecError([problem]) from exc

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        num_query, total_query = self.per_step_queries(step)
        num_series = fetch(source, num_query, start, end, step, self.label)
        total_series = fetch(source, total_query, start, end, step, self.label)
        return self.write_chunk(source, store, num_series, total_series, start, end, step)

    def write_chunk(self, source: Source, store, num_series: list[SourceSeries], total_series: list[SourceSeries],
                    start: int, end: int, step: int) -> int:
        """Write the chunk from the answers to its two queries (asked alone or grouped,
        ``collectors.grouping``); ``source`` is asked only where steps are missing."""
        ind = self.slo.indicator
        total = grid(total_series, start, end, step)
        num = grid(num_series, start, end, step)
        has_data = ~np.isnan(total)
        gaps = self._unexpected_gaps(source, has_data, start, end, step)
        if gaps.any() and not has_data.any():
            raise EmptyAnswer(self._gaps_message(gaps, start, step, "nothing is written and the watermark "
                                                 "stays, so the next pass asks again"))
        # A step where total has data but good/bad has none means zero events of that
        # kind (a 5xx series that does not exist yet), not missing data.
        num = np.where(has_data & np.isnan(num), 0.0, num)
        good = num if ind.good is not None else total - num
        good = np.clip(good, 0.0, total)  # scrape skew can put good a hair above total
        ts = start + step * np.arange(total.size, dtype=np.int64)
        written = store.write_sli_samples(
            self.slo.id, ts[has_data], good[has_data], total[has_data], watermark=(self.key, end),
            span=(start - step, end),
        )
        if gaps.any():
            raise StepsMissing(written, self._gaps_message(gaps, start, step, "the other steps are written"))
        return written

    def _unexpected_gaps(self, source: Source, has_data: np.ndarray, start: int, end: int, step: int) -> np.ndarray:
        """Steps without a total where the total's counters had samples at both step ends.

        Asked only when steps are missing: a series born or gone in the range leaves
        steps empty that it had no samples for, which is no data, not a problem.
        """
        ind = self.slo.indicator
        if has_data.all() or ind.kind not in (IndicatorKind.RATIO, IndicatorKind.LATENCY):
            # Gauges and raw ratios have no counters: a step without a sample is no data.
            return np.zeros_like(has_data)
        try:
            query = presence_query(ind.total, ind.mode, step, self.lookback_s)
        except ValueError:  # a query without counters to look for: nothing to compare with
            return np.zeros_like(has_data)
        present = grid(fetch(source, query, start, end, step, self.label), start, end, step) > 0
        return present & ~has_data

    def _gaps_message(self, gaps: np.ndarray, start: int, step: int, outcome: str) -> str:
        first, last = (start + step * int(i) for i in np.flatnonzero(gaps)[[0, -1]])
        return (f"{self.label}: the total query {self.slo.indicator.total!r} gave no data for "
                f"{int(gaps.sum())} step(s) from {_iso(first)} to {_iso(last)} although its series had "
                f"samples there; {outcome}")


@dataclass(frozen=True)
class GoldenSignalTarget:
    """One golden signal of one service, one value per step (a template with ``$service``)."""

    service: str
    signal: str
    queries: Queries
    lookback_s: int = DEFAULT_LOOKBACK_S

    previous_keys = ()
    kind = GOLDEN

    @property
    def key(self) -> str:
        return f"golden:{self.service}:{self.signal}"

    @property
    def label(self) -> str:
        return f"golden signal {self.signal} of {self.service}"

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        query = self.queries.golden(self.signal, step, self.lookback_s, service=self.service)
        values = grid(fetch(source, query, start, end, step, self.label), start, end, step)
        ts = start + step * np.arange(values.size, dtype=np.int64)
        keep = ~np.isnan(values)
        return store.write_series(
            self.kind, self.service, self.signal, ts[keep], values[keep], watermark=(self.key, end),
            span=(start - step, end),
        )


@dataclass(frozen=True)
class GroupedGoldenSignalTarget:
    """One golden signal of every service from one query aggregated ``by (service)``.

    The answer is split by its ``service`` label into the same per-service series that
    ``GoldenSignalTarget`` writes. Only ``services`` (those with an SLO) are kept, and
    the query may ask for them alone (``$services``): the dashboard shows golden signals
    beside SLOs, and a shared Prometheus may hold many more services.
    """

    signal: str
    services: frozenset[str]
    queries: Queries
    lookback_s: int = DEFAULT_LOOKBACK_S

    kind = GOLDEN

    @property
    def key(self) -> str:
        # "*" as in DORA's "all services"; one watermark for the signal of every service.
        return f"golden:*:{self.signal}"

    @property
    def label(self) -> str:
        return f"golden signal {self.signal} of every service"

    @property
    def previous_keys(self) -> tuple[str, ...]:
        """The per-service targets' keys: switching a signal to the grouped form resumes
        where they stopped rather than collecting every service's history again."""
        return tuple(f"golden:{service}:{self.signal}" for service in sorted(self.services))

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        query = self.queries.golden(self.signal, step, self.lookback_s, services=self.services)
        series = fetch(source, query, start, end, step, self.label)
        by_service: dict[str, list[SourceSeries]] = {}
        for s in series:
            service = s.label_map.get("service")
            if service in self.services:
                by_service.setdefault(service, []).append(s)
        return write_per_scope(store, self.kind, self.signal, by_service, start, end, step, self.key)

    def catch_up(self, store) -> list["NewServiceBackfill"]:
        """Targets for the services that joined after this signal's first pass.

        The shared watermark would start a new service at the pass it joined in; its
        history comes from the same query asked for it alone. A service counts as new
        while it has neither rows of this signal nor a watermark of its own. A history
        cut short (a killed or failed pass) continues while its watermark is behind the
        shared one: from there on the shared query covers the service.
        """
        shared = store.watermark(self.key)
        if shared is None:
            return []  # the first pass backfills every service
        stored = {scope for scope, name in store.series_keys(self.kind) if name == self.signal}

        def unfinished(service: str) -> bool:
            own = store.watermark(f"golden:{service}:{self.signal}")
            return service not in stored if own is None else own < shared

        return [NewServiceBackfill(self.signal, frozenset({service}), self.queries, self.lookback_s)
                for service in sorted(self.services) if unfinished(service)]


@dataclass(frozen=True)
class NewServiceBackfill(GroupedGoldenSignalTarget):
    """A grouped golden signal's history for one service that joined later, with a
    watermark of its own (the per-service key, which also marks it as no longer new)."""

    @property
    def key(self) -> str:
        (service,) = self.services
        return f"golden:{service}:{self.signal}"

    @property
    def label(self) -> str:
        (service,) = self.services
        return f"golden signal {self.signal} of {service} (new service: its history)"

    previous_keys = ()

    def catch_up(self, store) -> list["NewServiceBackfill"]:
        return []


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_per_scope(
    store, kind: str, name: str, by_scope: dict[str, list[SourceSeries]], start: int, end: int, step: int,
    key: str, per_step=lambda values: values,
) -> int:
    """Write one series ``(kind, scope, name)`` per scope, gridded and mapped through ``per_step``,
    and move watermark ``key`` to ``end``; returns the samples written.

    The store writes one series per transaction, so the watermark moves with the last
    scope only: a crash mid-chunk leaves it behind and the next pass repeats the whole
    chunk, which the upsert makes harmless. A chunk without any series moves it alone.
    """
    written = 0
    scopes = sorted(by_scope)
    for i, scope in enumerate(scopes):
        values = grid(by_scope[scope], start, end, step)
        ts = start + step * np.arange(values.size, dtype=np.int64)
        keep = ~np.isnan(values)
        mark = (key, end) if i == len(scopes) - 1 else None
        written += store.write_series(kind, scope, name, ts[keep], per_step(values[keep]), watermark=mark,
                                      span=(start - step, end))
    if not scopes:
        store.set_watermark(key, end)
    return written


@dataclass(frozen=True)
class CostTarget:
    """USD spent per step per service from OpenCost: each namespace's allocation, mapped to
    its service, and the bill's unallocated remainder as the scope ``IDLE_SCOPE``."""

    queries: Queries

    key = "cost:opencost"
    kind = "cost"
    previous_keys = ()
    label = "cost (OpenCost)"

    def service_of(self, labels: dict[str, str]) -> str:
        """``namespace_services`` first, then the scope label, then the namespace."""
        scope = labels.get(self.queries.cost_scope_label) or labels.get("namespace") or "unallocated"
        return self.queries.cost_namespace_services.get(scope, scope)

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        allocation_query, total_query = self.queries.cost_queries(step)
        series = fetch(source, allocation_query, start, end, step, self.label)
        totals = fetch(source, total_query, start, end, step, self.label) if total_query else None
        by_scope: dict[str, list[SourceSeries]] = {}
        for s in series:
            by_scope.setdefault(f"service:{self.service_of(s.label_map)}", []).append(s)
        if totals is not None:
            # Computed on the grid here, not in PromQL, so the scopes add up to the bill exactly.
            idle = idle_remainder(grid(totals, start, end, step),
                                  [grid(parts, start, end, step) for parts in by_scope.values()])
            if not np.isnan(idle).all():
                by_scope[IDLE_SCOPE] = [SourceSeries((), start + step * np.arange(idle.size, dtype=np.int64), idle)]
        return write_per_scope(store, self.kind, "opencost", by_scope, start, end, step, self.key,
                               per_step=lambda usd_per_hour: usd_per_hour * step / 3600.0)


@dataclass(frozen=True)
class DeploymentCounterTarget:
    """Deployments counted by ``deployments_total{service,status}``, one event per increment."""

    queries: Queries
    lookback_s: int = DEFAULT_LOOKBACK_S

    key = "deployments:counter"
    kind = None
    previous_keys = ()
    label = "deployments (counter)"

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        series = fetch(source, fill(self.queries.deployments or "", step, self.lookback_s), start, end, step, self.label)
        events = []
        for s in series:
            labels = s.label_map
            try:
                status = DeployStatus.parse(labels.get("status", "success"))
            except ValueError as exc:
                raise SourceError(f"{self.label}: series {s.labels}: {exc}") from exc
            service = labels.get("service", "unknown")
            counts = np.rint(np.nan_to_num(s.values)).astype(np.int64)
            for t, n in zip(s.ts[counts > 0], counts[counts > 0]):
                at = datetime.fromtimestamp(int(t), tz=timezone.utc)
                for i in range(int(n)):
                    # The counter carries no version; the step and index make the event
                    # unique, so collecting the same step twice records it once.
                    events.append(Deployment(service, f"counter@{int(t)}#{i}", status, at, at, source="prometheus"))
        return store.record_deployments(events, watermark=(self.key, end))


def targets_for(slos: list[SLO], queries: Queries, lookback_s: int = DEFAULT_LOOKBACK_S) -> list[Target]:
    """Every SLO, the golden signals of every service with an SLO, deployments and cost.

    A grouped golden-signal query is one target for all those services; a per-service
    one (``$service``) is one target per service. ``lookback_s`` is how long a counter
    may go without a sample and still count across the gap (``collect.lookback``).
    """
    targets: list[Target] = [SLITarget(slo, lookback_s) for slo in sorted(slos, key=lambda s: s.id)]
    services = sorted({slo.service for slo in slos})
    for signal in sorted(queries.golden_signals) if services else ():
        if queries.golden_is_grouped(signal):
            targets.append(GroupedGoldenSignalTarget(signal, frozenset(services), queries, lookback_s))
        else:
            targets += [GoldenSignalTarget(service, signal, queries, lookback_s) for service in services]
    if queries.deployments:
        targets.append(DeploymentCounterTarget(queries, lookback_s))
    if queries.cost:
        targets.append(CostTarget(queries))
    return targets
