"""The scheduled jobs: module-level functions that APScheduler's job store can name,
taking nothing but a report kind; each opens the store with this process's settings
(``runtime``) and logs its failures instead of raising them into the scheduler.

Several schedulers may run the same job (they share one job store): collection runs
under the collector lock, each report under the ``report:<kind>`` lock (which the
dashboard's builds take too: ``reports.service.build_locked``) and only if
the store has no run of that period yet, and each mail is claimed in the store before
it is sent. So whichever process gets there first does the work, once.
"""

from __future__ import annotations

import logging
import time
from contextlib import closing

from ..errors import ReportBusyError, SloboardError, StoreLockedError
from ..wiring import load_slos, open_store, prometheus_source
from . import runtime

log = logging.getLogger("sloboard.scheduler")

REPORT_ACTOR = "scheduler"


def collect_job() -> None:
    """One collection pass; failures are logged and recorded, never raised into the scheduler."""
    from collectors.collect import collect_once

    rt = runtime.current()
    specs = load_slos(rt.settings)  # each pass: a changed spec is collected from the next tick on
    store = open_store(rt.settings)
    try:
        with closing(prometheus_source(rt.settings)) as source:
            summary = collect_once(rt.settings, store, specs.slos, source,
                                   until=int(rt.clock()) - rt.settings.collect.lag_s)
        log.info("collected %d samples, %d queries failed", summary.samples, len(summary.failed))
        _warm_shared_cache(rt, store, wrote=summary.samples > 0)
    except StoreLockedError as exc:
        log.info("skipping this collection: %s", exc)
    except SloboardError as exc:
        log.error("collection failed: %s", exc)
    finally:
        store.close()


def _warm_shared_cache(rt: runtime.Runtime, store, *, wrote: bool) -> None:
    """With a cache the dashboard workers share (``cache.url``): mark the pass and compute
    the overview once here, so no worker pays for the new instant."""
    if not rt.settings.cache.url:
        return
    from dashboard.warmer import warm

    try:
        warm(rt.settings, store, wrote=wrote, clock=rt.clock)
    except SloboardError as exc:
        log.warning("the shared cache was not warmed: %s", exc)


def prune_raw_samples(settings, store, clock=time.time) -> int:
    """Delete per-step samples older than ``collect.raw_retention`` (golden signals: older
    than ``collect.golden_raw_retention``), hourly rollups older than
    ``collect.rollup_retention`` (golden signals: ``collect.golden_hourly_retention``) and
    daily rollups older than ``collect.rollup_retention``."""
    from ..store import Retention

    cutoff, kind_cutoffs, rollup_cutoff, hourly_cutoffs = Retention.from_settings(settings.collect).cutoffs(clock())
    return store.delete_samples_before(cutoff, kind_cutoffs=kind_cutoffs, rollup_cutoff=rollup_cutoff,
                                       kind_hourly_cutoffs=hourly_cutoffs)


def retention_job() -> None:
    """The hourly prune; failures are logged, never raised into the scheduler."""
    rt = runtime.current()
    store = open_store(rt.settings)
    try:
        deleted = prune_raw_samples(rt.settings, store, rt.clock)
        collect = rt.settings.collect
        log.info("retention: deleted %d rows (kept: %s of SLI and cost steps, %s of golden-signal steps, %s of "
                 "rollups, %s of golden-signal hourly rollups)", deleted, collect.raw_retention,
                 collect.golden_raw_retention, collect.rollup_retention, collect.golden_hourly_retention)
    except SloboardError as exc:
        log.error("retention failed: %s", exc)
    finally:
        store.close()


def report_job(kind: str) -> None:
    """Build (and mail, when recipients and an SMTP host are set) the last complete
    ``kind`` period, unless the store already has it; logged, never raised."""
    from reports.service import build_locked, make_report, resolve_period

    rt = runtime.current()
    settings = rt.settings
    period = resolve_period(kind, None, settings.timezone, rt.clock())
    send = bool(settings.reports.recipients.get(kind)) and settings.reports.smtp.host is not None
    store = open_store(settings)

    def build_unless_covered():
        done = covering_run(store, kind, period.label, send=send)
        if done is not None:
            log.info("%s report %s: built already (report run %d), not again", kind, period.label, done.id)
            return None
        return make_report(store, load_slos(settings).slos, settings, kind, period, send=send,
                           actor=REPORT_ACTOR, clock=rt.clock)

    try:
        run = build_locked(store, kind, rt.owner, build_unless_covered)
        if run is not None:
            log.info("%s report %s: %s (SHA-256 %s), delivery %s", kind, period.label, run.path, run.sha256,
                     run.delivery_status)
    except ReportBusyError as exc:  # another scheduler, or an editor on the dashboard
        log.info("%s report %s: not built here: %s", kind, period.label, exc)
    except SloboardError as exc:
        log.error("%s report %s failed: %s", kind, period.label, exc)
    finally:
        store.close()


def covering_run(store, kind: str, period: str, *, send: bool):
    """The run that already covers ``kind``/``period``: built, and when the report is to be
    mailed, handed to delivery (a failed mail is ``deliver_pending_job``'s to retry, not
    a reason to build again). None if there is none."""
    for run in store.report_runs(kind=kind, limit=None):
        if run.period == period and run.status == "ok" and (not send or run.delivery_status != "none"):
            return run
    return None


def deliver_pending_job() -> None:
    """Retry every report mail that is pending or failed (each sent at most once)."""
    from reports.delivery import deliver_pending

    settings = runtime.current().settings
    if settings.reports.smtp.host is None:
        return
    store = open_store(settings)
    try:
        for run in deliver_pending(store, data_dir=settings.data_dir, smtp=settings.reports.smtp):
            log.info("%s report %s: delivery %s%s", run.kind, run.period, run.delivery_status,
                     f" ({run.delivery_error})" if run.delivery_error else "")
    except SloboardError as exc:
        log.error("retrying report mail failed: %s", exc)
    finally:
        store.close()
