"""The scheduler of ``sloboard run``: collection every ``collect.interval_s``, the hourly
prune, the weekly (Monday), monthly (1st) and quarterly (1 January, April, July,
October) reports at ``scheduler.report_time`` in ``timezone``, and a retry of undelivered
report mail every ``scheduler.deliver_interval_s``.

``schedule`` starts APScheduler with its jobs stored in the store's database; ``jobs``
holds what each job does, safe when several processes run it at once; ``runtime``
gives the jobs this process's settings.
"""

from .jobs import prune_raw_samples
from .schedule import run_until_stopped, start_scheduler

__all__ = ["prune_raw_samples", "run_until_stopped", "start_scheduler"]
