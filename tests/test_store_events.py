"""Deployments, watermarks, collector runs and report runs: round trips and idempotence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sloboard.domain import Deployment, DeployStatus
from sloboard.errors import StoreError

T = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def _deploy(**overrides) -> Deployment:
    base = dict(
        service="checkout", version="v1.4.2", status=DeployStatus.SUCCEEDED, started_at=T,
        finished_at=T + timedelta(minutes=4), source="api", commit="abc123", committed_at=T - timedelta(hours=5),
    )
    return Deployment(**{**base, **overrides})


def test_deployment_round_trip_and_second_record_is_not_new(store):
    d = _deploy()
    assert store.record_deployment(d) is True
    assert store.record_deployment(d) is False
    assert store.deployments() == [d]


def test_recording_again_updates_status_and_fills_missing_fields(store):
    store.record_deployment(_deploy(finished_at=None, commit=None, committed_at=None))
    assert store.record_deployment(_deploy(status=DeployStatus.ROLLED_BACK)) is False
    store.record_deployment(_deploy(status=DeployStatus.ROLLED_BACK, finished_at=None, commit=None))
    (got,) = store.deployments()
    assert got == _deploy(status=DeployStatus.ROLLED_BACK)


def test_deployments_filter_by_service_and_half_open_range(store):
    hours = [_deploy(version=f"v{i}", started_at=T + timedelta(hours=i)) for i in range(5)]
    other = _deploy(service="search", version="s1", started_at=T + timedelta(hours=2))
    for d in [*reversed(hours), other]:
        store.record_deployment(d)
    start, end = int((T + timedelta(hours=1)).timestamp()), int((T + timedelta(hours=3)).timestamp())
    assert store.deployments(service="checkout", start=start, end=end) == hours[2:4]
    assert [d.service for d in store.deployments(start=start, end=end)] == ["checkout", "search", "checkout"]
    assert store.deployments(service="nothing") == []


def test_deployment_times_are_kept_to_the_second_and_must_be_aware(store):
    store.record_deployment(_deploy(started_at=T + timedelta(microseconds=999_999)))
    assert store.record_deployment(_deploy()) is False  # the same second: the same deployment
    assert store.deployments()[0].started_at == T
    with pytest.raises(ValueError, match="started_at must be timezone-aware"):
        store.record_deployment(_deploy(started_at=T.replace(tzinfo=None)))


def test_watermarks_set_and_move(store):
    assert store.watermark("prom/checkout/availability") is None
    store.set_watermark("prom/checkout/availability", 1_800_000_000)
    store.set_watermark("prom/checkout/availability", 1_800_000_600)
    store.set_watermark("prom/search/latency", 1_700_000_000)
    assert store.watermark("prom/checkout/availability") == 1_800_000_600
    assert store.watermark("prom/search/latency") == 1_700_000_000


def test_collector_runs_round_trip_newest_first(store, clock):
    first = store.start_run("prometheus", "checkout/availability", 100, 200)
    clock.advance(1.5)
    store.finish_run(first, status="ok", samples_written=42)
    second = store.start_run("prometheus", "search/latency", 200, 300)
    clock.advance(0.25)
    store.finish_run(second, status="failed", samples_written=0, error="Prometheus down: connection refused")
    running = store.start_run("cost", "opencost", 300, 400)

    runs = store.runs()
    assert [r.id for r in runs] == [running, second, first]
    newest, failed, ok = runs
    assert (newest.status, newest.finished_at, newest.samples_written) == ("running", None, 0)
    assert (failed.status, failed.error, failed.range_start, failed.range_end) == (
        "failed", "Prometheus down: connection refused", 200, 300,
    )
    assert ok.finished_at - ok.started_at == 1.5 and ok.samples_written == 42
    assert [r.id for r in store.runs(limit=1)] == [running]
    assert [r.id for r in store.runs(collector="prometheus")] == [second, first]


def test_finishing_runs_checks_status_and_id(store):
    run_id = store.start_run("prometheus", "q", 0, 60)
    with pytest.raises(ValueError, match="ok, incomplete, failed"):
        store.finish_run(run_id, status="done", samples_written=1)
    with pytest.raises(StoreError, match="no collector run with id 999"):
        store.finish_run(999, status="ok", samples_written=1)


def test_report_runs_round_trip(store):
    weekly = store.record_report_run(
        "weekly", "2026-W45", status="ok", started_at=10.0, finished_at=12.5,
        path="var/reports/weekly-2026-W45.pdf", recipients=["cto@example.com", "sre@example.com"],
    )
    monthly = store.record_report_run("monthly", "2026-10", status="failed", started_at=20.0, error="SMTP down")
    runs = store.report_runs()
    assert [r.id for r in runs] == [monthly, weekly]
    assert runs[1].recipients == ("cto@example.com", "sre@example.com")
    assert (runs[1].path, runs[1].finished_at) == ("var/reports/weekly-2026-W45.pdf", 12.5)
    assert (runs[0].status, runs[0].error, runs[0].recipients, runs[0].finished_at) == ("failed", "SMTP down", (), None)
    assert [r.period for r in store.report_runs(kind="weekly")] == ["2026-W45"]


def test_report_runs_keep_hash_headline_and_delivery(store, clock):
    first = store.record_report_run("weekly", "2026-W47", status="ok", started_at=1.0, sha256="a" * 64,
                                    headline={"sentence": "All met", "kpis": [["SLOs met", "3 of 3"]]},
                                    recipients=["cto@example.com"], delivery_status="pending")
    run = store.report_run(first)
    assert (run.sha256, run.delivery_status, run.delivery_attempts) == ("a" * 64, "pending", 0)
    assert run.headline == {"sentence": "All met", "kpis": [["SLOs met", "3 of 3"]]}
    claim = store.claim_report_delivery(first)
    assert claim == clock.now
    assert store.claim_report_delivery(first) is None  # claimed: nobody else sends it
    store.finish_report_delivery(first, claim, error="SMTP 127.0.0.1:2525: connection refused")
    failed = store.report_run(first)
    assert (failed.delivery_status, failed.delivery_attempts, failed.delivery_error) == (
        "failed", 1, "SMTP 127.0.0.1:2525: connection refused")
    clock.advance(60)
    claim = store.claim_report_delivery(first)  # a failed delivery is retried
    store.finish_report_delivery(first, claim)
    sent = store.report_run(first)
    assert (sent.delivery_status, sent.delivery_attempts, sent.delivered_at, sent.delivery_error) == (
        "sent", 2, clock.now, None)
    assert store.claim_report_delivery(first) is None  # sent: never again
    with pytest.raises(StoreError, match=f"report run {first} is not being delivered"):
        store.finish_report_delivery(first, claim)
    with pytest.raises(StoreError, match="no report run with id 999"):
        store.report_run(999)


def test_a_stale_claim_is_taken_over_and_a_rebuild_supersedes_the_undelivered_run(store, clock):
    old = store.record_report_run("monthly", "2026-10", status="ok", started_at=1.0, delivery_status="pending")
    stale = store.claim_report_delivery(old, lease_s=600)
    clock.advance(601)
    taken = store.claim_report_delivery(old, lease_s=600)
    assert taken is not None and taken != stale
    with pytest.raises(StoreError, match="not being delivered"):
        store.finish_report_delivery(old, stale)  # the dead process's claim no longer counts
    store.finish_report_delivery(old, taken, error="timed out")
    new = store.record_report_run("monthly", "2026-10", status="ok", started_at=2.0, delivery_status="pending")
    other = store.record_report_run("monthly", "2026-09", status="ok", started_at=3.0, delivery_status="pending")
    assert store.report_run(old).delivery_status == "superseded"
    assert [r.id for r in store.report_runs(delivery_status=("pending", "failed"))] == [other, new]
    assert len(store.report_runs(limit=None)) == 3
