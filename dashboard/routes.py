"""Plain HTTP routes next to the Dash pages: ``/healthz``, ``/readyz``, ``/metrics``,
and the request timing that feeds ``/metrics``.

- ``/healthz``: the process answers (no I/O), for liveness probes.
- ``/readyz``: the store answers a query and at least one SLO spec is loaded; 503
  with the reason otherwise, for readiness probes and load balancers.
- ``/reports/download/<run id>``: an archived report PDF (``report_files.py``).
- ``/metrics``: the dashboard's own metrics (``metrics.py``) plus gauges read from
  the store at scrape time.

Every request but ``/healthz`` may first reload changed specs (``spec_reload.py``).
"""

from __future__ import annotations

import os
import time
from collections import Counter

import flask

from sloboard.errors import StoreError

from . import report_files, spec_reload
from .context import DashboardContext
from .metrics import gauge_family

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
RECENT_RUNS = 1000  # the newest runs the status gauges count
_CALLBACK_PATH = "/_dash-update-component"


def register_routes(server: flask.Flask, ctx: DashboardContext) -> None:
    server.add_url_rule("/healthz", "healthz", lambda: _text("ok\n"))
    server.add_url_rule("/readyz", "readyz", lambda: _readyz(ctx))
    server.add_url_rule("/metrics", "metrics", lambda: _metrics(ctx))
    server.before_request(_start_timer)
    server.after_request(lambda response: _observe(ctx, response))
    spec_reload.register(server, ctx)
    report_files.register(server, ctx)  # /reports/download/<run id>


def _text(body: str, status: int = 200) -> flask.Response:
    return flask.Response(body, status=status, content_type=TEXT_FORMAT)


def readiness_problems(ctx: DashboardContext) -> list[str]:
    """Why the dashboard cannot serve useful pages yet; empty when it can."""
    problems = []
    try:
        if ctx.store.schema_revision() is None:
            problems.append(f"store {ctx.store.url}: schema not created; run `sloboard db upgrade`")
    except StoreError as exc:
        problems.append(f"store unreachable: {exc}")
    if not ctx.slos:
        errors = sum(p.severity == "error" for p in ctx.problems)
        problems.append(
            f"no valid SLO specs loaded from {ctx.settings.specs_dir} ({errors} error(s)); run `sloboard validate`"
        )
    return problems


def _readyz(ctx: DashboardContext) -> flask.Response:
    problems = readiness_problems(ctx)
    if problems:
        return _text("not ready: " + "; ".join(problems) + "\n", 503)
    # A shared cache that does not answer degrades, never stops, a worker: it computes locally.
    down = ctx.results.probe()
    degraded = f"; warning: {down}, computing locally" if down else ""
    return _text(f"ready: {len(ctx.slos)} SLO(s), store {ctx.store.url}{degraded}\n")


def _metrics(ctx: DashboardContext) -> flask.Response:
    lines = ctx.metrics.render()
    # Each worker answers for itself: its pid tells a scraper (and a test) which one it was.
    lines += gauge_family("sloboard_process_info", "1, labelled with the pid of the process that answered.",
                          [((("pid", str(os.getpid())),), 1)])
    if ctx.results.shared is not None:
        lines += gauge_family("sloboard_cache_up", "1 when the shared cache answered its last request.",
                              [((), float(ctx.results.down is None))])
    try:
        runs = ctx.store.runs(limit=RECENT_RUNS)
        reports = ctx.store.report_runs(limit=RECENT_RUNS)
    except StoreError:
        lines += gauge_family("sloboard_store_up", "1 when the store answered this scrape.", [((), 0)])
    else:
        lines += gauge_family("sloboard_store_up", "1 when the store answered this scrape.", [((), 1)])
        by_status = Counter((r.collector, r.status) for r in runs)
        lines += gauge_family(
            "sloboard_collector_recent_runs",
            f"Collector runs by status among the newest {RECENT_RUNS}.",
            [((("collector", c), ("status", s)), n) for (c, s), n in sorted(by_status.items())],
        )
        latest: dict[str, object] = {}
        for run in runs:  # newest first: the first one seen per query is its last run
            latest.setdefault(run.query_key, run)
        lines += gauge_family(
            "sloboard_collector_last_run_ok",
            "1 when the last run of the query succeeded; 0 when it failed, came back incomplete, "
            "was interrupted or is still running.",
            [((("query", key),), float(run.status == "ok")) for key, run in sorted(latest.items())],
        )
        report_status = Counter((r.kind, r.status) for r in reports)
        lines += gauge_family(
            "sloboard_report_recent_runs",
            f"Report runs by kind and status among the newest {RECENT_RUNS}.",
            [((("kind", k), ("status", s)), n) for (k, s), n in sorted(report_status.items())],
        )
    return _text("\n".join(lines) + "\n")


def _start_timer() -> None:
    flask.g.sloboard_started = time.perf_counter()


def _observe(ctx: DashboardContext, response: flask.Response) -> flask.Response:
    started = flask.g.get("sloboard_started")
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    request = flask.request
    # The URL rule, not the path, keeps label values few: every page is one "/<path:path>".
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    ctx.metrics.requests.observe(elapsed, route, request.method, str(response.status_code))
    if request.path.endswith(_CALLBACK_PATH) and request.is_json:
        body = request.get_json(silent=True) or {}
        ctx.metrics.callbacks.observe(elapsed, str(body.get("output", "?"))[:200])
    return response
