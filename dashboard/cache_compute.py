"""One computation per result and instant, across the threads of a worker and across workers.

A result (the status report, a DORA or cost trend, one SLO's entry) is looked up in this
process (``cache_local``), then in the shared cache (``cache``, when ``cache.url`` is set).
On a miss, the worker that takes the result's lock computes it and shares it; the others
poll for it for up to ``cache.wait_s``, then serve the previous instant's value with a
"computing" note (the ``X-Sloboard-Computing`` header, a log line, and for the page the
note ``components.computing`` draws from :func:`computing_state`), and only compute
it themselves when they have none. When Redis does not answer, every worker computes
locally, logs a warning once, and names the failure on ``/readyz``; it tries Redis again
after ``RETRY_S``.

What a cached value depends on besides its instant, so that a write newer than it is
never hidden (its *version*):

- the SLO specs and the settings that shape the numbers (``spec_fingerprint``);
- the deployments, for the results that read them (``READS_DEPLOYMENTS``): the id of the
  newest ``deployment.stored`` audit entry, which the store writes in the same
  transaction as every new or changed deployment, whoever records it (the API, the CLI,
  the collector) — one indexed query per request;
- the collection generation, for all results: collection writes samples for instants up
  to ``collect.lag_s`` behind now, i.e. inside the windows of the instant being shown, so
  a pass changes every result of the current instant. Whoever runs collection marks it
  (``warmer.warm``, from the scheduler, after each pass). Without a shared cache there is
  no generation: results are then recomputed at the next step, as one process always did.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Callable, Hashable

import flask

from .cache import CacheDown, SharedResults, wait_for
from .cache_local import LocalResults, name_of
from .metrics import CounterFamily

log = logging.getLogger(__name__)

READS_DEPLOYMENTS = frozenset({"dora", "dora_trends", "known_services"})
DEPLOYMENT_AUDIT_ACTION = "deployment.stored"
RETRY_S = 5.0  # after Redis failed, compute locally this long before asking it again
COMPUTING_HEADER = "X-Sloboard-Computing"


def spec_fingerprint(slos, settings) -> str:
    """A digest of what every worker must agree on to share a result: the SLOs (their reprs
    are plain dataclasses, the same in every process) and the settings the reads take."""
    text = repr((list(slos), settings.collect.step_s, settings.timezone, settings.cost.budgets_usd,
                 settings.cost.warn_fraction, settings.cost.overrun_fraction))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def deployments_version(store) -> int | None:
    """The id of the newest ``deployment.stored`` audit entry, None before the first one."""
    entries = store.audit_entries(limit=1, action=DEPLOYMENT_AUDIT_ACTION)
    return entries[0].id if entries else None


def _key_text(key: Hashable) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return "/".join("*" if p is None else ",".join(sorted(p)) if isinstance(p, frozenset) else str(p) for p in parts)


PREVIOUS_WAIT_S = 0.5  # how long a worker that has an earlier instant waits before showing it


class InstantResults:
    """Results by key and instant; see the module's docstring."""

    def __init__(self, *, shared: SharedResults | None, wait_s: float, computations: CounterFamily,
                 deployments_version: Callable[[], int | None] = lambda: None, fingerprint: str = ""):
        self.local = LocalResults()
        self.shared = shared
        self.fingerprint = fingerprint
        self._wait_s = wait_s
        self._computations = computations
        self._deployments_version = deployments_version
        self.down: str | None = None  # why the shared cache is not used, while it is not
        self._retry_at = 0.0

    # --- lookups ------------------------------------------------------------------------

    def get(self, key: Hashable, at_epoch: int, compute: Callable[[], Any]) -> Any:
        """The value of ``key`` at ``at_epoch`` for the current data, computed at most once."""
        version = self.version(key)
        value = self.local.get(key, at_epoch, version)
        if value is not None:
            return value
        generation = self.local.generation
        if self._sharing():
            try:
                value = self._shared_value(key, at_epoch, version, compute)
            except CacheDown as exc:
                self._went_down(exc)
            else:
                self.local.put(key, at_epoch, version, value, generation)
                return value
        return self._compute_here(key, at_epoch, version, compute, generation)

    def kept(self, key: Hashable, at_epoch: int) -> Any | None:
        """The value this process keeps for ``key`` at ``at_epoch`` and the current data; None if none."""
        return self.local.get(key, at_epoch, self.version(key))

    def version(self, key: Hashable) -> tuple:
        generation, deployments = self._data_versions()
        return generation, deployments if name_of(key) in READS_DEPLOYMENTS else None

    def replace_fingerprint(self, fingerprint: str) -> None:
        """New specs: nothing kept in this process is served again; shared keys change with it."""
        self.fingerprint = fingerprint
        self.local.clear()

    def mark_written(self) -> int:
        """Collected data was written: a new generation, in which every result is computed afresh."""
        if self.shared is None:
            self.local.clear()
            return 0
        return self.shared.bump_generation()

    def probe(self) -> str | None:
        """Ask the shared cache whether it answers (``/readyz``); why it is not used, or None."""
        if self.shared is not None and (self.down is None or time.monotonic() >= self._retry_at):
            try:
                self.shared.ping()
                self._came_back()
            except CacheDown as exc:
                self._went_down(exc)
        return self.down

    # --- the shared level ----------------------------------------------------------------

    def _sharing(self) -> bool:
        if self.shared is None:
            return False
        return self.down is None or time.monotonic() >= self._retry_at

    def shared_key(self, key: Hashable, at_epoch: int, version: tuple | None = None) -> str:
        """The name of ``key`` at ``at_epoch`` in the shared cache (its lock adds to it), for the
        current data (``version``: :meth:`version`, when the caller has it)."""
        generation, deployments = self.version(key) if version is None else version
        return f"{self.fingerprint}:{at_epoch}:{_key_text(key)}:{generation}:{'*' if deployments is None else deployments}"

    def _shared_value(self, key: Hashable, at_epoch: int, version: tuple, compute: Callable[[], Any]) -> Any:
        text = self.shared_key(key, at_epoch, version)
        value = self.shared.get(text)
        self._came_back()
        if value is not None:
            return value
        previous = self.local.newest_before(key, at_epoch)
        # With an earlier instant to show, a page waits only a moment for the worker that
        # computes this one (at 1,000 SLOs that takes seconds, and every user arrives at
        # the new minute together); without one, it waits up to cache.wait_s.
        wait_s = self._wait_s if previous is None else min(self._wait_s, PREVIOUS_WAIT_S)
        for _attempt in range(2):  # a second time when the holder's lock expired while we waited
            token = self.shared.lock(text)
            if token is not None:
                return self._compute_shared(key, text, token, compute)
            value = wait_for(lambda: self.shared.get(text), wait_s)
            if value is not None:
                return value
            if previous is not None:
                break
        if previous is not None:
            log.info("another worker is still computing %s at %d: serving the one at %d", _key_text(key),
                     at_epoch, previous[0])
            if flask.has_request_context():
                flask.g.sloboard_computing = at_epoch
                served = flask.g.get("sloboard_served")  # the oldest instant a result of this request is of
                flask.g.sloboard_served = previous[0] if served is None else min(served, previous[0])
            return previous[1]
        log.warning("waited %.1f s for another worker to compute %s at %d; computing it here",
                    self._wait_s, _key_text(key), at_epoch)
        return self._count(key, compute)

    def _compute_shared(self, key: Hashable, text: str, token: str, compute: Callable[[], Any]) -> Any:
        try:
            value = self.shared.get(text)  # shared between our miss and our lock
            if value is None:
                value = self._count(key, compute)
                self.shared.set(text, value)
        finally:
            try:
                self.shared.unlock(text, token)
            except CacheDown as exc:
                self._went_down(exc)  # the lock expires by itself
        return value

    def _went_down(self, exc: CacheDown) -> None:
        if self.down is None:
            log.warning("%s; computing locally until it answers again", exc)
        self.down = str(exc)
        self._retry_at = time.monotonic() + RETRY_S

    def _came_back(self) -> None:
        if self.down is not None:
            log.warning("cache %s answers again", self.shared.url)
            self.down = None

    def _data_versions(self) -> tuple[int, int | None]:
        # Read once per request: every result of one page render sees the same data.
        if flask.has_request_context() and "sloboard_data_versions" in flask.g:
            return flask.g.sloboard_data_versions
        generation = 0
        if self.shared is not None and (self.down is None or time.monotonic() >= self._retry_at):
            try:
                generation = self.shared.generation()
                self._came_back()
            except CacheDown as exc:
                self._went_down(exc)
        versions = (generation, self._deployments_version())
        if flask.has_request_context():
            flask.g.sloboard_data_versions = versions
        return versions

    # --- computing here ------------------------------------------------------------------

    def _compute_here(self, key: Hashable, at_epoch: int, version: tuple, compute: Callable[[], Any],
                      generation: int) -> Any:
        with self.local.computing(key, at_epoch):
            value = self.local.get(key, at_epoch, version)  # another thread of this worker computed it
            if value is None:
                value = self._count(key, compute)
                self.local.put(key, at_epoch, version, value, generation)
        return value

    def _count(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        value = compute()
        self._computations.inc(name_of(key))
        return value


def computing_state() -> tuple[int, int] | None:
    """``(served, computing)`` when this request served a result of the instant ``served``
    because another worker is still computing it at ``computing``; None otherwise."""
    if not flask.has_request_context() or flask.g.get("sloboard_computing") is None:
        return None
    return flask.g.sloboard_served, flask.g.sloboard_computing


def add_computing_header(response: flask.Response) -> flask.Response:
    """Name the instant a response served an older value for (``after_request``)."""
    at_epoch = flask.g.get("sloboard_computing")
    if at_epoch is not None:
        response.headers[COMPUTING_HEADER] = str(at_epoch)
    return response
