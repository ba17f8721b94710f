"""Deployments recorded in batches with a watermark, as the deployment-counter collector does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sloboard.domain import Deployment, DeployStatus

T = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
KEY = "deployments:counter"


def _event(minute: int, status: DeployStatus = DeployStatus.SUCCEEDED, service: str = "checkout") -> Deployment:
    at = T + timedelta(minutes=minute)
    return Deployment(service, f"counter@{int(at.timestamp())}#0", status, at, at, source="prometheus")


def test_batch_lands_with_its_watermark_and_counts_only_new_events(store):
    batch = [_event(0), _event(5, DeployStatus.ROLLED_BACK), _event(9, service="search")]
    assert store.record_deployments(batch, watermark=(KEY, 1_800_000_600)) == 3
    assert store.watermark(KEY) == 1_800_000_600
    assert store.deployments() == batch
    # The same chunk collected again: nothing new, nothing doubled, the watermark moves.
    assert store.record_deployments([*batch, _event(12)], watermark=(KEY, 1_800_000_660)) == 1
    assert len(store.deployments()) == 4
    assert store.watermark(KEY) == 1_800_000_660


def test_empty_batch_still_moves_the_watermark(store):
    assert store.record_deployments([], watermark=(KEY, 1_800_000_060)) == 0
    assert store.watermark(KEY) == 1_800_000_060
    assert store.deployments() == []


def test_batch_without_watermark_leaves_watermarks_alone(store):
    assert store.record_deployments([_event(1)]) == 1
    assert store.watermark(KEY) is None


def test_a_bad_event_rolls_back_the_whole_batch_and_its_watermark(store):
    naive = Deployment("checkout", "v9", DeployStatus.FAILED, T.replace(tzinfo=None))
    with pytest.raises(ValueError, match="started_at must be timezone-aware"):
        store.record_deployments([_event(0), naive], watermark=(KEY, 1_800_000_120))
    assert store.deployments() == []
    assert store.watermark(KEY) is None


def test_single_record_still_reports_new_or_known(store):
    event = _event(3, DeployStatus.FAILED)
    assert store.record_deployment(event) is True
    assert store.record_deployments([event]) == 0
    assert store.deployments() == [event]
