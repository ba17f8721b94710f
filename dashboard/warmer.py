"""Computing each new instant's overview before anyone asks for it.

The dashboard keeps the status report, the cost rows and the KPI trends per instant
(``DashboardContext.per_instant``). Whoever first renders the overview at a new instant
pays for all of them (seconds on a large fleet); every render after that
reuses them. In a running server, :class:`Warmer` pays instead: a daemon thread that
computes them as soon as ``ctx.at()`` moves to a new instant. ``dashboard.serve`` starts
it in its one process; ``create_app`` does not, so apps built by tests and benchmarks have
no threads. Several workers share a cache (``cache.url``) instead, and :func:`warm` fills
it once for all of them, from the scheduler process.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import flask

from sloboard.settings import Settings

from .cache import CacheDown
from .components.filters import Filters
from .context import DashboardContext, build_context

log = logging.getLogger(__name__)


def warm_overview(ctx: DashboardContext, at_epoch: int) -> None:
    """Fill the per-instant entries that the overview's first render at ``at_epoch`` reads for
    the default view (no team, service or search filter), through the same context methods."""
    if not ctx.slos:
        return  # the page shows its empty state and computes nothing
    ctx.report(at_epoch, dora=False)  # reads the cost rows that the cost trends reuse
    ctx.freshness(at_epoch)  # the stale banner every page shows
    ctx.dora_trends(at_epoch, None)
    ctx.cost_trends(at_epoch, Filters().cost_scope())


def warm(settings: Settings, store, *, wrote: bool = True, clock: Callable[[], float] = time.time) -> int | None:
    """Warm the shared cache at the current instant once for every worker: for a job of the
    scheduler, after each collection pass. ``wrote``: the pass wrote data, so every result
    cached so far is of an older collection generation and is computed afresh (once, here).

    Returns the instant warmed; None without a shared cache (``cache.url`` empty), where each
    process keeps its own results and there is nothing to warm from outside it.
    """
    if not settings.cache.url:
        return None
    ctx = build_context(settings, store, clock, flask.Flask("sloboard-warm"))
    try:
        if wrote:
            ctx.results.mark_written()
    except CacheDown as exc:
        log.warning("%s: not warmed; the workers compute locally", exc)
        return None
    at_epoch = ctx.at()
    warm_overview(ctx, at_epoch)
    return at_epoch


class Warmer:
    """Warms ``ctx.at()`` once per instant with ``warm`` (default :func:`warm_overview`).

    :meth:`check` does one round (tests call it with a fake clock); :meth:`start` runs it
    every ``poll_s`` seconds in a daemon thread until :meth:`stop`. A failure is logged and
    not retried for its instant; the next instant is warmed again.
    """

    def __init__(self, ctx: DashboardContext, *,
                 warm: Callable[[DashboardContext, int], None] = warm_overview, poll_s: float = 1.0):
        self.ctx = ctx
        self._warm = warm
        self._poll_s = poll_s
        self._warmed: int | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sloboard-warmer", daemon=True)

    def check(self) -> None:
        """Warm the current instant unless it was warmed (or tried) already. Never raises."""
        try:
            at = self.ctx.at()
            if at == self._warmed:
                return
            self._warmed = at
            began = time.perf_counter()
            self._warm(self.ctx, at)
            log.debug("warmed the overview at %d in %.2f s", at, time.perf_counter() - began)
        except Exception:
            log.exception("warming the dashboard failed; users' first render at this instant computes it")

    def start(self) -> "Warmer":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to end and wait up to ``timeout_s`` for a warm-up in progress."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.check()
            self._stopping.wait(self._poll_s)
