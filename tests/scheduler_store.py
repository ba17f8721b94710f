"""Test helpers for the scheduler's job store: settings for a scheduler on a test
database, and what downtime leaves behind (a stored job whose next run time is past)."""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from sloboard.scheduler.schedule import JOBS_TABLE
from sloboard.settings import Settings
from sloboard.store import Store

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"
TIMEZONE = "Europe/Berlin"
# Monday 23 November 2026, 10:00 in Berlin (a test's "now"): the last complete ISO week is 2026-W47.
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo(TIMEZONE)).timestamp()


def scheduler_settings(tmp_path: Path, db_url: str, **overrides) -> Settings:
    """A scheduler on ``db_url`` with the checkout SLOs and a Prometheus that refuses at once
    (collection fails fast and is not what these tests look at)."""
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    for name in ("checkout.yaml", "prometheus.yaml"):  # the SLOs and the DataSource they name
        shutil.copy(SPECS / name, specs / name)
    values = dict(data_dir=tmp_path / "data", specs_dir=specs, timezone=TIMEZONE, database_url=db_url,
                  prometheus={"url": "http://127.0.0.1:1", "retry_max_s": 0, "timeout_s": 1},
                  collect={"interval_s": 3600})
    return Settings(**(values | overrides))


@contextmanager
def job_store(db_url: str) -> Iterator[SQLAlchemyJobStore]:
    """The job store of ``db_url``, opened without running a scheduler (nothing is run)."""
    engine = sa.create_engine(db_url)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")  # a scheduler object only to rebuild jobs; never started
    try:
        yield store
    finally:
        engine.dispose()


def stored_job(db_url: str, job_id: str) -> Job:
    with job_store(db_url) as store:
        return store.lookup_job(job_id)


def set_next_run(db_url: str, job_id: str, when: datetime) -> None:
    """What downtime since ``when`` leaves behind: the stored job due at ``when``."""
    with job_store(db_url) as store:
        job = store.lookup_job(job_id)
        job._modify(next_run_time=when)
        store.update_job(job)


def wait_for_runs(db_url: str, kind: str, *, count: int = 1, timeout_s: float = 120) -> list:
    """The finished report runs of ``kind`` once there are ``count`` of them (or at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with Store.open(db_url) as store:
            runs = [r for r in store.report_runs(kind=kind, limit=None) if r.finished_at is not None]
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)
