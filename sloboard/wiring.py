"""The composition root: the one place that turns settings into the parts the program runs
on. The CLI, the dashboard app, the collector and the scheduler receive what it builds
instead of each building their own, so every process opens the store with the same
retention, loads the same SLO list and asks Prometheus the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence


def open_store(settings):
    """The store of ``settings``, with its retention: writes of old history keep hourly sums only."""
    from .store import Retention, Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.db_url, retention=Retention.from_settings(settings.collect))


def load_slos(settings, paths: Sequence[Path] = ()):
    """The SLO specs of ``paths`` (default: ``settings.specs_dir``):
    ``LoadResult(slos, problems, files, ok)``."""
    from .specs import load_specs

    return load_specs([Path(p) for p in paths] or [settings.specs_dir],
                      alert_windows_file=settings.alert_windows_file)


def prometheus_source(settings):
    """The Prometheus (or Thanos, Mimir) source of ``settings``; the caller closes it."""
    from collectors.prometheus import PrometheusSource

    return PrometheusSource(settings.prometheus)


def status_options(settings, dora_bands=None) -> dict[str, Any]:
    """The explicit parameters of ``reads.status.status_report`` from ``settings``: the step,
    the time zone, the cost budgets and the DORA bands (read now unless given)."""
    from .dora_bands import load_dora_bands

    return {"step_s": settings.collect.step_s, "timezone_name": settings.timezone,
            "cost_budgets": settings.cost.budgets(),
            "dora_bands": dora_bands if dora_bands is not None else load_dora_bands()}


def report_service():
    """What the dashboard's Reports page builds reports through (``dashboard.report_builder``):
    handed in by whoever starts a dashboard, so that the dashboard imports no ``reports`` module."""
    from reports.service import ReportService

    return ReportService()
