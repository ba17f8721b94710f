"""The background jobs of ``sloboard run``: collect every ``collect.interval_s``, and
prune per-step samples and rollups past their retention every hour.

Several ``sloboard run`` processes may share one database: the collector lock in the
store lets one of them collect and makes the others skip that tick, so no data is
written twice. Jobs never overlap themselves (``max_instances=1``) and a missed tick
is run once, not repeatedly (``coalesce``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from .errors import SloboardError, StoreLockedError

log = logging.getLogger("sloboard.scheduler")


def collect_job(settings, store_factory, clock=time.time) -> None:
    """One collection pass; failures are logged and recorded, never raised into the scheduler."""
    from collectors.collect import collect_once

    from .wiring import load_slos

    specs = load_slos(settings)  # each pass: a changed spec is collected from the next tick on
    store = store_factory()
    try:
        summary = collect_once(settings, store, specs.slos, until=int(clock()) - settings.collect.lag_s)
        log.info("collected %d samples, %d queries failed", summary.samples, len(summary.failed))
    except StoreLockedError as exc:
        log.info("skipping this collection: %s", exc)
    except SloboardError as exc:
        log.error("collection failed: %s", exc)
    finally:
        store.close()


def prune_raw_samples(settings, store, clock=time.time) -> int:
    """Delete per-step samples older than ``collect.raw_retention`` (golden signals: older
    than ``collect.golden_raw_retention``) and hourly rollups older than
    ``collect.rollup_retention``."""
    from .store import Retention

    cutoff, kind_cutoffs, rollup_cutoff = Retention.from_settings(settings.collect).cutoffs(clock())
    return store.delete_samples_before(cutoff, kind_cutoffs=kind_cutoffs, rollup_cutoff=rollup_cutoff)


def retention_job(settings, store_factory, clock=time.time) -> None:
    """The hourly prune; failures are logged, never raised into the scheduler."""
    store = store_factory()
    try:
        deleted = prune_raw_samples(settings, store, clock)
        collect = settings.collect
        log.info("retention: deleted %d rows (kept: %s of SLI and cost steps, %s of golden-signal steps, %s of "
                 "hourly rollups)", deleted, collect.raw_retention, collect.golden_raw_retention, collect.rollup_retention)
    except SloboardError as exc:
        log.error("retention failed: %s", exc)
    finally:
        store.close()


def start_scheduler(settings, store_factory):
    """Start the jobs in a background thread and return the scheduler (call ``shutdown()``)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=settings.timezone)
    scheduler.add_job(
        collect_job,
        "interval",
        seconds=settings.collect.interval_s,
        args=(settings, store_factory),
        id="collect",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(timezone.utc),
    )
    # Hourly: each prune deletes an hour of steps (well under a second for 1,000 SLOs),
    # and the store never holds much more than the retention asks for.
    scheduler.add_job(
        retention_job, "cron", minute=17, args=(settings, store_factory), id="retention",
        max_instances=1, coalesce=True, misfire_grace_time=3600,
    )
    scheduler.start()
    return scheduler
