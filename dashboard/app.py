"""The Dash app: pages from ``dashboard/pages``, shared components, and the plain HTTP
routes (``/healthz``, ``/readyz``, ``/metrics``) on the same Flask server.

``create_app`` is the only constructor. It loads the SLO specs once and opens the store
unless one is given, both as the composition root (``sloboard.wiring``) builds them for
every process, and reads "now" from the injected ``clock`` (tests pin it).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Callable

import dash

from sloboard.settings import Settings
from sloboard.wiring import open_store

from .api import register_api
from .auth import install as install_auth
from .components import filters, shell
from .cache_compute import add_computing_header
from .context import EXTENSION_KEY, build_context
from .report_builder import ReportBuilder
from .routes import register_routes

HERE = Path(__file__).resolve().parent


def complete_dash_setup(app: dash.Dash) -> None:
    """Run Dash's first-request hooks (its server set-up and the pages router) now.

    Dash runs them in the first request, without a lock: the first requests of a threaded
    worker (gunicorn's gthread) raced there, "dictionary changed size during iteration".
    Run here in a request context of their own, they are done before any thread serves,
    and no request is made: Flask still takes routes, and ``/metrics`` counts no request.
    """
    dash_hooks = [hook for hook in app.server.before_request_funcs.get(None, [])
                  if getattr(hook, "__module__", "").partition(".")[0] == "dash"]  # not ours: "dashboard"
    with app.server.test_request_context("/"):
        for hook in dash_hooks:
            hook()


def create_app(settings: Settings, *, store=None, clock: Callable[[], float] = time.time,
               reports: ReportBuilder | None = None) -> dash.Dash:
    """Build the dashboard for ``settings``; ``store`` defaults to ``wiring.open_store(settings)``
    (the store with its retention, as every command opens it). ``reports`` is what the Reports
    page builds through (``wiring.report_service()``); without it the page only lists reports.

    Invalid specs are skipped (``/readyz`` and the collection page name them); the app
    still starts so that an operator can see what is wrong.
    """
    app = dash.Dash(
        "dashboard",
        use_pages=True,
        pages_folder="pages",
        assets_folder=str(HERE / "assets"),
        suppress_callback_exceptions=True,  # pages mount their components after the first render
        title="sloboard",
        update_title=None,
    )
    ctx = build_context(settings, store if store is not None else open_store(settings), clock, app.server, reports)
    app.server.extensions[EXTENSION_KEY] = ctx
    app.server.after_request(add_computing_header)
    app.layout = shell.shell
    filters.register_callbacks(app)
    shell.register_callbacks(app)
    # Dash (re)executed each page module while building the app; wire their callbacks
    # to this app rather than to dash's global list, so several apps can coexist.
    for page in dash.page_registry.values():
        sys.modules[page["module"]].register_callbacks(app)
    register_routes(app.server, ctx)
    register_api(app.server, ctx)
    install_auth(app, ctx)  # last: the CSP hashes every inline script defined above
    complete_dash_setup(app)
    # What exists now (modules, Dash's registry, the specs) lives as long as the process.
    # Moved out of the collector's generations, it is no longer scanned by the full
    # collections that the garbage of renders triggers: at 100 SLOs such a collection took
    # ~95 ms, every fifth or so render of the overview at a new instant.
    gc.freeze()
    return app
