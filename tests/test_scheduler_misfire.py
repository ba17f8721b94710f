"""A report missed while no scheduler ran: the next start-up builds it once (three missed
Mondays give one report, of the last complete week), a later start-up never again, and
one missed by more than scheduler.misfire_grace is not built at all. The scheduler
runs for real on APScheduler's clock; the report period comes from a clock the test sets."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sloboard.scheduler import start_scheduler
from sloboard.store import Store
from tests.scheduler_store import (
    MONDAY_MORNING, TIMEZONE, scheduler_settings, set_next_run, stored_job, wait_for_runs,
)

LOCAL = ZoneInfo(TIMEZONE)


def _next_monday_8(after: datetime) -> datetime:
    """The first Monday 08:00 local strictly after ``after`` (computed here, not by APScheduler)."""
    local = after.astimezone(LOCAL)
    day = local.date() + timedelta(days=(7 - local.weekday()) % 7)
    candidate = datetime(day.year, day.month, day.day, 8, 0, tzinfo=LOCAL)
    return candidate if candidate > local else candidate + timedelta(days=7)


def _last_fire(now: datetime, matches) -> datetime:
    """The newest local 08:00 at or before ``now`` on a day that ``matches``."""
    local = now.astimezone(LOCAL)
    day = local.date()
    while True:
        candidate = datetime(day.year, day.month, day.day, 8, 0, tzinfo=LOCAL)
        if candidate <= local and matches(day):
            return candidate
        day -= timedelta(days=1)


def _start_and_settle(settings, clock, seconds: float = 3.0) -> None:
    """Start a scheduler, let it run its due jobs, stop it (waiting for a job in progress)."""
    scheduler = start_scheduler(settings, clock=clock)
    time.sleep(seconds)
    scheduler.shutdown(wait=True)


@pytest.fixture
def settings(tmp_path, store_url):
    Store.open(store_url).close()
    return scheduler_settings(tmp_path, store_url, scheduler={"misfire_grace": "30d"})


def test_a_weekly_report_missed_three_times_runs_once_at_start_up_and_never_again(settings, store_url, caplog):
    clock = lambda: MONDAY_MORNING  # noqa: E731 - the report period's "now"
    _start_and_settle(settings, clock, seconds=0.5)  # the first start stores the jobs
    assert wait_for_runs(store_url, "weekly", timeout_s=0) == []  # nothing was due
    last_monday = _last_fire(datetime.now(timezone.utc), lambda day: day.weekday() == 0)
    set_next_run(store_url, "report-weekly", last_monday - timedelta(days=14))  # down for three Mondays

    scheduler = start_scheduler(settings, clock=clock)
    try:
        runs = wait_for_runs(store_url, "weekly")
    finally:
        scheduler.shutdown(wait=True)
    assert [(r.period, r.status, r.delivery_status) for r in runs] == [("2026-W47", "ok", "none")]
    with Store.open(store_url) as store:
        audited = [e for e in store.audit_entries(action="report.archive") if e.payload["run"] == runs[0].id]
    assert [e.actor for e in audited] == ["scheduler"]
    assert stored_job(store_url, "report-weekly").next_run_time == _next_monday_8(datetime.now(timezone.utc))

    _start_and_settle(settings, clock)  # a later start-up: nothing is due
    # Even a job store that says the report is due again (another process's stale view)
    # builds nothing: the store already has the period.
    set_next_run(store_url, "report-weekly", last_monday)
    caplog.set_level(logging.INFO, logger="sloboard.scheduler")
    _start_and_settle(settings, clock)
    assert f"weekly report 2026-W47: built already (report run {runs[0].id}), not again" in caplog.text
    assert [r.id for r in wait_for_runs(store_url, "weekly", timeout_s=0)] == [runs[0].id]


def test_a_report_missed_by_more_than_the_grace_is_not_built(tmp_path, store_url):
    Store.open(store_url).close()
    settings = scheduler_settings(tmp_path, store_url, scheduler={"misfire_grace": "1h"})
    clock = lambda: MONDAY_MORNING  # noqa: E731
    _start_and_settle(settings, clock, seconds=0.5)
    now = datetime.now(timezone.utc)
    first = _last_fire(now, lambda day: day.day == 1)
    if now - first <= timedelta(hours=2):  # keep well past the 1 h grace
        first = _last_fire(first - timedelta(days=1), lambda day: day.day == 1)
    set_next_run(store_url, "report-monthly", first)  # down since the 1st, 08:00
    scheduler = start_scheduler(settings, clock=clock)
    try:
        deadline = time.monotonic() + 30
        while stored_job(store_url, "report-monthly").next_run_time < datetime.now(timezone.utc):
            assert time.monotonic() < deadline, "the scheduler never looked at the missed job"
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)  # a job it did start would finish here
    assert wait_for_runs(store_url, "monthly", timeout_s=0) == []


def test_a_changed_report_time_reschedules_the_stored_job(tmp_path, store_url):
    Store.open(store_url).close()
    clock = lambda: MONDAY_MORNING  # noqa: E731
    _start_and_settle(scheduler_settings(tmp_path, store_url), clock, seconds=0.2)
    _start_and_settle(scheduler_settings(tmp_path, store_url, scheduler={"report_time": "06:45"}), clock, seconds=0.2)
    job = stored_job(store_url, "report-quarterly")
    now = datetime.now(LOCAL)
    first_of_quarter = [datetime(now.year + (m > 12), (m - 1) % 12 + 1, 1, 6, 45, tzinfo=LOCAL)
                        for m in (1, 4, 7, 10, 13)]
    assert job.next_run_time == min(t for t in first_of_quarter if t > now)
    assert "06:45" not in job.name and "hour='6', minute='45'" in job.name and "Europe/Berlin" in job.name
