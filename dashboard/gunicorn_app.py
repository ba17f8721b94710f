"""The dashboard under gunicorn: one master, ``server.workers`` worker processes.

:class:`DashboardApplication` is a gunicorn custom application (``BaseApplication``):
its options come from the settings' ``server`` section, and each worker builds its own
dashboard app in ``load`` (no preloading: every worker opens its own database
connections, which a fork must not share). The master restarts a worker that dies or
stays silent for ``server.timeout_s``, and on SIGTERM lets the workers finish their
requests for up to ``server.graceful_timeout_s``; SIGHUP restarts them gracefully, which
also reloads the SLO specs.

``gunicorn 'dashboard.wsgi:app'`` is the same app for those who run gunicorn themselves.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from sloboard import log_lines
from sloboard.settings import Settings

from .report_builder import ReportBuilder


def gunicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings, by its own names, for ``settings.server`` on ``host:port``."""
    server = settings.server
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": server.threads,
        "worker_class": "gthread",
        "timeout": server.timeout_s,
        "graceful_timeout": server.graceful_timeout_s,
        "keepalive": server.keepalive_s,
        "max_requests": server.max_requests,
        "max_requests_jitter": server.max_requests_jitter,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "sloboard-dashboard",
        # gunicorn's control socket is one path per user by default: two dashboards (or tests)
        # on one machine would take it from each other, and nothing here uses it.
        "control_socket_disable": True,
    }


class DashboardApplication(BaseApplication):
    """gunicorn serving ``create_app(settings, reports=reports).server`` with :func:`gunicorn_options`."""

    def __init__(self, settings: Settings, host: str, port: int, workers: int, reports: ReportBuilder | None = None):
        self.settings = settings
        self.reports = reports
        self.options = gunicorn_options(settings, host, port, workers)
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        from .app import create_app  # in the worker, after the fork

        return create_app(self.settings, reports=self.reports).server


def run_workers(settings: Settings, host: str, port: int, workers: int, reports: ReportBuilder | None = None) -> None:
    """Run the gunicorn master until it is stopped (SIGTERM, SIGINT); for a process of its own.

    A spawned process starts with no logging set up: the dashboard's log lines (spec
    reloads, a shared cache that does not answer) go to stderr as JSON lines, with the
    pid of the worker that wrote them."""
    log_lines.configure(settings)  # JSON lines, secrets masked, each with the pid of the worker that wrote it
    DashboardApplication(settings, host, port, workers, reports).run()
