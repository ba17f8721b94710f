"""Serving the dashboard over HTTP.

The server is werkzeug's threaded WSGI server: no extra dependency, one thread per
request, fine for a team's dashboard on one machine. For several workers, run the
WSGI app under gunicorn instead: ``create_app(settings).server`` is a plain Flask app.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from werkzeug.serving import BaseWSGIServer, make_server

from sloboard.settings import Settings

from .app import create_app
from .context import EXTENSION_KEY
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
) -> BaseWSGIServer:
    """A bound, not yet running server for the dashboard; ``port=0`` picks a free port
    (read it back from ``server.server_port``)."""
    app = create_app(settings, store=store, clock=clock)
    return make_server(host, port, app.server, threaded=True)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    store=None,
    clock: Callable[[], float] = time.time,
    stop: threading.Event | None = None,
) -> None:
    """Serve the dashboard until interrupted (Ctrl-C), or until ``stop`` is set.

    ``stop`` lets a caller that runs the scheduler next to the dashboard (``sloboard
    run``) end both from one signal handler. While it serves, a :class:`Warmer` computes
    each new instant's overview, so that no user's request waits for it.
    """
    server = build_server(settings, host, port, store=store, clock=clock)
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
