"""DORA from SQL counts and columns equals DORA over every deployment as an object.

``reads.trends.dora_trends`` counts deployments per day and status in the database
(``Store.deployment_days``); ``reads.dora.dora_entries`` reads the 30 days as columns
(``Store.deployment_events``: no object per deployment) for counts, restore and lead
times. The truth here is the definition applied to ``Store.deployments``' objects, written
out in this file (the computation the reads used before): for 13 instants (local midnights
on both sides of a DST change in Europe/Berlin, instants on deployments' starts, others on
the minute grid) over several services with mixed statuses, ties, unknown finishes and
commits, on SQLite and PostgreSQL, every entry and every trend value is equal, bit for bit.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import fields
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sloboard.domain import Deployment, DeployStatus
from sloboard.dora_bands import load_dora_bands
from sloboard.engine.dora import ALL_SERVICES, METRICS, DoraMetrics
from sloboard.reads.dora import DORA_WINDOWS, DoraEntry, dora_entries
from sloboard.reads.trends import DORA_KPIS, TREND_DAYS, dora_trends, trend_lookback

DAY = 86_400
BERLIN = ZoneInfo("Europe/Berlin")
SERVICES = ("checkout", "search", "payments", "ledger", "quiet")
# The range holds the end of summer time in Berlin (2026-10-25 03:00 CEST -> 02:00 CET).
FIRST = int(datetime(2026, 8, 20, tzinfo=BERLIN).timestamp())
LAST = int(datetime(2026, 11, 20, tzinfo=BERLIN).timestamp())
BANDS = load_dora_bands()


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def history(rng: np.random.Generator) -> list[Deployment]:
    """About 700 deployments of five services: mostly succeeded, runs of failures and
    rollbacks, unknown finishes and commits, starts on day boundaries and shared starts."""
    out = []
    statuses = [DeployStatus.SUCCEEDED, DeployStatus.FAILED, DeployStatus.ROLLED_BACK]
    for service, per_day in zip(SERVICES, (4.0, 2.5, 1.0, 0.5, 0.05)):
        starts = np.sort(rng.uniform(FIRST, LAST, int(per_day * (LAST - FIRST) / DAY))).astype(np.int64)
        starts[::9] = starts[::9] // 3600 * 3600  # some on the hour, so on instants' day boundaries
        for k, start in enumerate(starts.tolist()):
            status = statuses[rng.choice(3, p=[0.7, 0.2, 0.1])]
            took = int(rng.integers(30, 4 * 3600))
            finished = None if rng.random() < 0.1 else utc(start + took)
            committed = None if rng.random() < 0.2 else utc(start - int(rng.integers(0, 3 * DAY)))
            out.append(Deployment(service, f"v{k}", status, utc(start), finished, "api", None, committed))
            if rng.random() < 0.03:  # another deployment starting in the same second
                other = statuses[rng.choice(3)]
                out.append(Deployment(service, f"v{k}-b", other, utc(start), utc(start + 60), "api"))
    return out


def instants(deployments: list[Deployment]) -> list[int]:
    """Local midnights around the DST change, instants on deployments' starts (a start at
    ``at``, at ``at - 7 d``, ``at - 30 d`` and at the trends' lookback), and instants on the
    minute grid."""
    midnights = [int(datetime(2026, 10, day, tzinfo=BERLIN).timestamp()) for day in (24, 25, 26, 27)]
    midnights.append(int(datetime(2026, 11, 20, tzinfo=BERLIN).timestamp()))
    starts = sorted(int(d.started_at.timestamp()) for d in deployments if d.service == "checkout")
    late = [s for s in starts if s > FIRST + 62 * DAY]
    on_starts = [late[0], late[len(late) // 2], late[0] + 7 * DAY, late[1] + 30 * DAY,
                 late[2] - trend_lookback(0, TREND_DAYS)]
    minutes = [FIRST + 61 * DAY + k * 7 * DAY + 60 * (k * 37 % 1440) for k in range(4)]
    return sorted(t for t in {*midnights, *on_starts, *minutes} if FIRST + 31 * DAY < t <= LAST + DAY)


# --- the truth: the definitions over Deployment objects ---------------------------------


def truth_metrics(deployments: list[Deployment], start: int, end: int) -> DoraMetrics:
    inside = sorted((d for d in deployments if start <= d.started_at.timestamp() < end), key=lambda d: d.started_at)
    total = len(inside)
    by_status = {s: sum(d.status == s for d in inside) for s in DeployStatus}
    bad = by_status[DeployStatus.FAILED] + by_status[DeployStatus.ROLLED_BACK]
    restores: list[float] = []
    per_service: dict[str, list[Deployment]] = defaultdict(list)
    for d in inside:
        per_service[d.service].append(d)
    for runs in per_service.values():
        waiting: list[Deployment] = []
        for d in runs:
            if d.status != DeployStatus.SUCCEEDED:
                waiting.append(d)
                continue
            restored = d.finished_at or d.started_at
            restores += [(restored - f.started_at).total_seconds() for f in waiting]
            waiting = []
    leads = [(d.finished_at - d.committed_at).total_seconds() for d in inside
             if d.status == DeployStatus.SUCCEEDED and d.finished_at and d.committed_at]
    values = {
        "deployment_frequency": total / ((end - start) / DAY),
        "change_failure_rate": bad / total if total else None,
        "time_to_restore": float(statistics.median(restores)) if restores else None,
        "lead_time": float(statistics.median(leads)) if leads else None,
    }
    return DoraMetrics(
        deployments=total, succeeded=by_status[DeployStatus.SUCCEEDED], failed=by_status[DeployStatus.FAILED],
        rolled_back=by_status[DeployStatus.ROLLED_BACK], deployment_frequency_per_day=values["deployment_frequency"],
        change_failure_rate=values["change_failure_rate"],
        rollback_rate=by_status[DeployStatus.ROLLED_BACK] / total if total else None,
        time_to_restore_median_s=values["time_to_restore"], lead_time_median_s=values["lead_time"],
        bands={m: BANDS[m].band(values[m]) for m in METRICS},
    )


def truth_entries(store, at: int) -> list[DoraEntry]:
    read = store.deployments(start=at - 30 * DAY - 1, end=at)
    if not read:
        return []
    out = []
    for label, length in DORA_WINDOWS.items():
        groups = {ALL_SERVICES: read, **{s: [d for d in read if d.service == s] for s in {d.service for d in read}}}
        for service, deployments in groups.items():
            m = truth_metrics(deployments, at - length, at)
            out.append(DoraEntry(**{f.name: getattr(m, f.name) for f in fields(DoraMetrics)},
                                 service=service, window=label))
    return sorted(out, key=lambda e: (e.service != ALL_SERVICES, e.service, DORA_WINDOWS[e.window]))


def truth_trend(store, at: int, services: set[str] | None, kpi: str, days: int):
    """``(value, previous, daily)`` of one KPI over the ``days`` before ``at``."""
    read = [d for d in store.deployments(start=trend_lookback(at, TREND_DAYS), end=at)
            if services is None or d.service in services]
    since = min((d.started_at.timestamp() for d in read), default=None)

    def measured(start: int, end: int, whole: bool = True):
        if since is None or (whole and since > start + DAY):
            return None
        return DORA_KPIS[kpi](truth_metrics(read, start, end))

    period = days * DAY
    daily = [measured(at - (k + 1) * DAY, at - k * DAY) for k in range(days - 1, -1, -1)]
    return (measured(at - period, at, whole=False), measured(at - 2 * period, at - period),
            np.array([np.nan if v is None else v for v in daily]))


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture
def seeded(store):
    deployments = history(np.random.default_rng(6))
    store.record_deployments(deployments)
    return store, instants(deployments)


def test_the_status_entries_from_counts_equal_the_definition_over_every_deployment(seeded):
    store, ats = seeded
    assert len(ats) >= 12
    for at in ats:
        expected = truth_entries(store, at)
        got = dora_entries(store, at, bands=BANDS)
        assert got == expected, at
        assert json.dumps([e.to_dict() for e in got]) == json.dumps([e.to_dict() for e in expected])
    # The instants see restores, lead times and every status, not only empty windows.
    last = dora_entries(store, ats[-1], bands=BANDS)
    assert all(e.time_to_restore_median_s and e.lead_time_median_s and e.rolled_back
               for e in last if e.service in (ALL_SERVICES, "checkout"))


def test_the_trends_from_counts_equal_the_definition_over_every_deployment(seeded):
    store, ats = seeded
    for at in ats:
        for services in (None, {"checkout"}, {"search", "quiet"}, {"ghost"}):
            trends = dora_trends(store, at, services=services, bands=BANDS)
            for kpi, by_days in trends.items():
                for days, trend in by_days.items():
                    value, previous, daily = truth_trend(store, at, services, kpi, days)
                    assert (trend.value, trend.previous) == (value, previous), (at, services, kpi, days)
                    np.testing.assert_array_equal(trend.daily.values, daily, err_msg=f"{at} {services} {kpi}")
                    assert list(trend.daily.ts) == [at - k * DAY for k in range(days - 1, -1, -1)]


def test_deployments_on_the_windows_edges_count_as_the_definition_says(store):
    """A start at ``at`` itself (in no window, but the service has entries), at ``at - 30 d``
    (the first second of the 30 days), at ``at - 7 d`` and at the trends' lookback (not read)."""
    at = int(datetime(2026, 10, 26, tzinfo=BERLIN).timestamp())
    ok, failed = DeployStatus.SUCCEEDED, DeployStatus.FAILED
    edges = [Deployment("edge", "at", ok, utc(at)),
             Deployment("month", "first", failed, utc(at - 30 * DAY)),
             Deployment("month", "fix", ok, utc(at - 7 * DAY), utc(at - 7 * DAY + 90)),
             Deployment("old", "lookback", ok, utc(trend_lookback(at, TREND_DAYS)))]
    store.record_deployments(edges)
    entries = dora_entries(store, at, bands=BANDS)
    assert entries == truth_entries(store, at)
    assert {e.service for e in entries} == {ALL_SERVICES, "edge", "month"}
    month = {e.window: e for e in entries if e.service == "month"}
    assert (month["30d"].deployments, month["30d"].time_to_restore_median_s) == (2, 23 * DAY + 90)
    assert (month["7d"].deployments, month["7d"].time_to_restore_median_s) == (1, None)
    old = dora_trends(store, at, services={"old"}, bands=BANDS)["deployment_frequency"][30]
    assert old.value is None and not old.daily.has_data  # the lookback's own second is not read
    # The services the dashboard knows from deployments: (start, end] as the trends read.
    assert store.deployment_services(start=trend_lookback(at, TREND_DAYS), end=at) == ["edge", "month"]
    assert store.deployment_services(start=trend_lookback(at, TREND_DAYS) - 1, end=at - 1) == ["month", "old"]
