"""Several schedulers on one database (real processes, on SQLite and on PostgreSQL) build
one report per period: two `sloboard run --scheduler-only` starting on a due weekly job,
and two processes running the weekly job at the same instant."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sloboard.scheduler import start_scheduler
from sloboard.store import Store
from tests.integration.sloboard_cli import cli_env
from tests.scheduler_store import TIMEZONE, scheduler_settings, set_next_run, wait_for_runs

LOCAL = ZoneInfo(TIMEZONE)
BUILT = "(SHA-256 "  # the line of the process that built the report
NOT_AGAIN = ("not built here: a weekly report is being built by", "built already")

RUN_JOB_AT = """
import logging, sys, time
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
from sloboard.scheduler import jobs, runtime
from sloboard.settings import load_settings
runtime.install(load_settings())
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
jobs.report_job("weekly")
"""


def _last_complete_week(now: datetime) -> str:
    year, week, _ = (now.astimezone(LOCAL) - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _last_monday_8(now: datetime) -> datetime:
    local = now.astimezone(LOCAL)
    monday = local.date() - timedelta(days=local.weekday())
    fire = datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=LOCAL)
    return fire if fire <= local else fire - timedelta(days=7)


@pytest.fixture
def setup(tmp_path, store_url):
    """Settings on the test database, its environment for child processes, and a log folder."""
    Store.open(store_url).close()
    settings = scheduler_settings(tmp_path, store_url)
    env = cli_env(settings.data_dir, "http://127.0.0.1:1", specs_dir=settings.specs_dir, database_url=store_url,
                  timezone=TIMEZONE, prometheus__retry_max_s="0", collect__interval_s="3600",
                  scheduler__misfire_grace="8d")  # last Monday's job is due whatever the weekday today
    return settings, env, tmp_path


def _spawn(args: list[str], env, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def _stop(processes: list[subprocess.Popen]) -> list[int]:
    for process in processes:
        process.terminate()  # SIGTERM: a scheduler lets a running job finish, then exits 0
    return [process.wait(timeout=180) for process in processes]


def test_two_scheduler_processes_on_a_due_weekly_job_build_one_report(setup, store_url):
    settings, env, folder = setup
    start_scheduler(settings).shutdown(wait=True)  # the jobs are stored
    now = datetime.now(timezone.utc)
    set_next_run(store_url, "report-weekly", _last_monday_8(now))  # both start with it due
    logs = [folder / f"scheduler-{i}.log" for i in (1, 2)]
    run = ["-c", "from sloboard.cli import main; main()", "run", "--scheduler-only"]
    processes = [_spawn(run, env, log) for log in logs]
    try:
        runs = wait_for_runs(store_url, "weekly", timeout_s=180)
        deadline = time.monotonic() + 60
        while not all("Resumed scheduler job processing" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text()[-2000:] for log in logs]
            time.sleep(0.5)
        time.sleep(3)  # either one, had it taken the job too, would be building now
    finally:
        codes = _stop(processes)
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    runs = wait_for_runs(store_url, "weekly", timeout_s=0)
    assert [(r.period, r.status) for r in runs] == [(_last_complete_week(now), "ok")], texts
    assert sum(f"weekly report {runs[0].period}: reports/weekly/" in text for text in texts) == 1, texts


def test_two_processes_running_the_weekly_job_at_once_build_one_report(setup, store_url):
    _, env, folder = setup
    at = time.time() + 5  # both have imported everything by then
    logs = [folder / f"job-{i}.log" for i in (1, 2)]
    processes = [_spawn(["-c", RUN_JOB_AT, str(at)], env, log) for log in logs]
    codes = [process.wait(timeout=180) for process in processes]
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    runs = wait_for_runs(store_url, "weekly", timeout_s=0)
    assert [(r.period, r.status) for r in runs] == [(_last_complete_week(datetime.now(timezone.utc)), "ok")], texts
    built = [text for text in texts if BUILT in text]
    others = [text for text in texts if BUILT not in text]
    assert len(built) == 1 and len(others) == 1, texts
    assert any(reason in others[0] for reason in NOT_AGAIN), others[0]
