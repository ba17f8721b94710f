"""Serving the dashboard over HTTP: one process, or gunicorn workers.

With one worker (``server.workers`` 1, the default, and ``make demo``) the server is
werkzeug's threaded WSGI server in this process: one thread per request, fine for a
team's dashboard on one machine, with a :class:`Warmer` thread. With more, a gunicorn
master (``gunicorn_app.py``) runs in a process of its own, started fresh ("spawn"): the
caller may run threads and hold database connections (``sloboard run``'s scheduler),
which a forking master must not copy into its workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from typing import Callable

from werkzeug.serving import BaseWSGIServer, make_server

from sloboard.errors import SloboardError
from sloboard.settings import Settings

from .app import create_app
from .context import EXTENSION_KEY
from .gunicorn_app import run_workers
from .report_builder import ReportBuilder
from .spec_reload import watch_sighup
from .warmer import Warmer

log = logging.getLogger(__name__)


def build_server(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    store=None,
    clock: Callable[[], float] = time.time,
    reports: ReportBuilder | None = None,
) -> BaseWSGIServer:
    """A bound, not yet running server for the dashboard; ``port=0`` picks a free port
    (read it back from ``server.server_port``). ``reports`` as for ``create_app``."""
    app = create_app(settings, store=store, clock=clock, reports=reports)
    return make_server(host, port, app.server, threaded=True)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    store=None,
    clock: Callable[[], float] = time.time,
    stop: threading.Event | None = None,
    workers: int | None = None,
    reports: ReportBuilder | None = None,
) -> None:
    """Serve the dashboard until interrupted (Ctrl-C), or until ``stop`` is set.

    ``stop`` lets a caller that runs the scheduler next to the dashboard (``sloboard
    run``) end both from one signal handler. ``workers`` (default ``server.workers``)
    above 1 serves through gunicorn (:func:`serve_workers`; ``store`` and ``clock`` are
    then each worker's own). With one, a :class:`Warmer` computes each new instant's
    overview while it serves, so that no user's request waits for it. ``reports`` (as for
    ``create_app``) goes to every worker.
    """
    workers = workers or settings.server.workers
    if workers > 1:
        serve_workers(settings, host, port, workers, stop=stop, reports=reports)
        return
    server = build_server(settings, host, port, store=store, clock=clock, reports=reports)
    warmer = Warmer(server.app.extensions[EXTENSION_KEY]).start()
    restore_sighup = watch_sighup(server.app)  # SIGHUP reloads the specs (spec_reload.py)
    log.info("dashboard on http://%s:%d", host, server.server_port)
    if stop is not None:
        threading.Thread(target=lambda: (stop.wait(), server.shutdown()), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        warmer.stop()
        restore_sighup()
        server.server_close()


def serve_workers(settings: Settings, host: str, port: int, workers: int, *,
                  stop: threading.Event | None = None, reports: ReportBuilder | None = None) -> None:
    """Run gunicorn with ``workers`` workers in a process of its own until it ends, until
    Ctrl-C, or until ``stop`` is set; then stop it gracefully (SIGTERM). Raises
    SloboardError when the master ended by itself with an error (gunicorn logged why,
    e.g. the port is taken)."""
    if not settings.cache.url:
        log.warning("%d workers without cache.url: each computes and keeps its own results; "
                    "set cache.url (redis://...) so that they share them", workers)
    stop = stop or threading.Event()
    # SIGTERM (systemd, Kubernetes, a test) stops the master gracefully rather than orphaning it.
    restore = _on_sigterm(stop.set)
    master = multiprocessing.get_context("spawn").Process(
        target=run_workers, args=(settings, host, port, workers, reports), name="sloboard-gunicorn")
    master.start()
    try:
        while master.is_alive() and not stop.is_set():
            master.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        if master.is_alive():
            master.terminate()  # SIGTERM: gunicorn's graceful stop
            master.join(settings.server.graceful_timeout_s + 5)
        if master.is_alive():
            master.kill()
            master.join()
    if not stop.is_set() and master.exitcode:
        raise SloboardError(f"the dashboard's gunicorn master on {host}:{port} exited with {master.exitcode}")


def _on_sigterm(handler: Callable[[], None]) -> Callable[[], None]:
    """Call ``handler`` on SIGTERM; returns what restores the previous handler (only the main
    thread may set one: elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: handler())
    return lambda: signal.signal(signal.SIGTERM, previous)
