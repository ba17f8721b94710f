"""The jobs of ``sloboard run`` on APScheduler 3, kept in a job store in the store's own
database (table ``apscheduler_jobs``, created by APScheduler on first start).

Because the jobs and their next run times are stored, a report that fell due while no
scheduler ran is still due when one starts: it runs once (``coalesce``: three missed
weeks build one report, of the last complete week) if it is at most
``scheduler.misfire_grace`` late. Each start compares the stored jobs with the settings
and reschedules only a job whose trigger changed, so a restart never moves a missed
run's time into the future.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..store.connection import create_engine, parse_url
from . import runtime
from .jobs import collect_job, deliver_pending_job, report_job, retention_job

log = logging.getLogger("sloboard.scheduler")

JOBS_TABLE = "apscheduler_jobs"
# Reports run one at a time in a process (each can take minutes and hundreds of MB);
# collection, retention and mail retries keep their own threads meanwhile.
REPORTS_EXECUTOR = "reports"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[..., None]
    trigger: BaseTrigger
    misfire_grace_s: int | None  # None: however late (collection and retries just catch up)
    args: tuple[str, ...] = ()
    executor: str = "default"
    first_run_now: bool = False  # when the job is new: run it at start-up, not one interval later

    @property
    def name(self) -> str:
        """The job and its trigger in words; stored with the job, compared at each start."""
        return f"{self.id}: {self.trigger} in {self.trigger.timezone}"


def job_specs(settings) -> list[JobSpec]:
    """Every job the settings ask for; report times are local to ``settings.timezone``."""
    tz = settings.timezone
    hour, minute = (int(part) for part in settings.scheduler.report_time.split(":"))
    grace = settings.scheduler.misfire_grace_s

    def report(kind: str, **calendar) -> JobSpec:
        trigger = CronTrigger(hour=hour, minute=minute, timezone=tz, **calendar)
        return JobSpec(f"report-{kind}", report_job, trigger, grace, args=(kind,), executor=REPORTS_EXECUTOR)

    return [
        JobSpec("collect", collect_job, IntervalTrigger(seconds=settings.collect.interval_s, timezone=tz), None,
                first_run_now=True),
        # Hourly: each prune deletes an hour of steps (well under a second for 1,000 SLOs).
        JobSpec("retention", retention_job, CronTrigger(minute=17, timezone=tz), 3600),
        JobSpec("deliver-pending", deliver_pending_job,
                IntervalTrigger(seconds=settings.scheduler.deliver_interval_s, timezone=tz), None),
        report("weekly", day_of_week="mon"),
        report("monthly", day=1),
        report("quarterly", month="1,4,7,10", day=1),
    ]


class _Scheduler(BackgroundScheduler):
    """APScheduler's thread ends for good if a round raises (the job store's database was
    unreachable while it saved a next run time); log it and try again instead."""

    def _process_jobs(self):
        try:
            return super()._process_jobs()
        except Exception as exc:  # noqa: BLE001 - any error here would stop every job
            log.error("scheduler round failed, retrying in %d s: %s", self.jobstore_retry_interval, exc)
            return self.jobstore_retry_interval


def start_scheduler(settings, *, clock: Callable[[], float] = time.time) -> BackgroundScheduler:
    """Start the jobs in background threads and return the scheduler (call ``shutdown()``);
    ``clock`` decides which report period is the last complete one (tests move it)."""
    runtime.install(settings, clock)
    engine = create_engine(parse_url(settings.db_url), busy_timeout_s=30.0, connect_timeout_s=10.0)
    scheduler = _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(4), REPORTS_EXECUTOR: ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=settings.timezone,
    )
    scheduler.start(paused=True)  # bring the stored jobs up to date before any of them runs
    sync_jobs(scheduler, job_specs(settings))
    scheduler.resume()
    return scheduler


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> None:
    """Add the jobs the store lacks, reschedule those whose trigger changed, keep the rest
    (with their next run time, which may be in the past: then they run now), and remove
    jobs no longer asked for."""
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
    for spec in specs:
        job = scheduler.get_job(spec.id)
        options = dict(func=spec.func, args=spec.args, name=spec.name, executor=spec.executor,
                       misfire_grace_time=spec.misfire_grace_s)
        if job is None:
            first = {"next_run_time": datetime.now(timezone.utc)} if spec.first_run_now else {}
            try:
                scheduler.add_job(trigger=spec.trigger, id=spec.id, **(options | first))
            except ConflictingIdError:
                pass  # another scheduler starting at the same moment stored it first
            continue
        if job.name != spec.name:
            log.info("job %s rescheduled: %s (was %s)", spec.id, spec.name, job.name)
            scheduler.reschedule_job(spec.id, trigger=spec.trigger)
        if any(getattr(job, key) != value for key, value in options.items()):
            scheduler.modify_job(spec.id, **options)


def run_until_stopped(scheduler: BackgroundScheduler) -> None:
    """Block until SIGTERM or Ctrl-C, then shut down, letting a running job finish."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(3600):
            pass
    finally:
        scheduler.shutdown(wait=True)
