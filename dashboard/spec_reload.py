"""Reloading the SLO specs of a running dashboard, without a restart.

A served dashboard notices a new, changed or removed spec file by itself: on a request,
at most every ``POLL_S`` seconds, it compares the size and modification time of the
files in ``settings.specs_dir`` (and of the alert windows file) with the last look, a
few ``stat`` calls. SIGHUP reloads at once (``watch_sighup``, which ``dashboard.serve``
installs). What changed is logged by SLO id: added, removed, changed.

A spec file that no longer loads (any error in it) keeps the SLOs it had at the last
good load, and the problem is logged and shown on the collection page; the other files'
changes still apply. A problem outside the spec files (an unreadable alert windows file,
a missing folder) keeps the whole last good set, since every SLO would change.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from pathlib import Path
from typing import Callable

import flask

from sloboard.domain import SLO
from sloboard.spec_audit import record_spec_changes
from sloboard.specs.loader import SPEC_SUFFIXES, LoadResult
from sloboard.wiring import load_slos

from .context import DashboardContext

log = logging.getLogger(__name__)
POLL_S = 2.0
EXTENSION_KEY = "sloboard-spec-reload"


def _fingerprint(folder: Path, extra: Path | None) -> tuple:
    """(path, mtime_ns, size) of every spec file under ``folder`` and of ``extra``."""
    files = [p for p in folder.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()] if folder.is_dir() else []
    seen = []
    for path in sorted(files) + ([extra] if extra else []):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed between the listing and the stat: the next look sees it gone
        seen.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(seen)


def merged(previous: list[SLO], result: LoadResult) -> tuple[list[SLO], list[str]]:
    """The SLOs to serve after ``result``, and the files with errors whose last good SLOs are kept."""
    failed = sorted({p.path for p in result.errors})
    spec_paths = {str(f) for f in result.files}
    if any(path not in spec_paths for path in failed):
        return previous, failed  # not one file's problem: keep everything
    fresh = [s for s in result.slos if s.source is None or s.source.path not in failed]
    ids = {s.id for s in fresh}
    kept = [s for s in previous if s.source is not None and s.source.path in failed and s.id not in ids]
    return fresh + kept, [path for path in failed if any(s.source.path == path for s in kept)]


def changes(before: list[SLO], after: list[SLO]) -> tuple[list[str], list[str], list[str]]:
    """SLO ids added, removed, and changed (another spec text), each sorted."""
    old, new = {s.id: s.spec_hash for s in before}, {s.id: s.spec_hash for s in after}
    return (sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys()),
            sorted(i for i in new.keys() & old.keys() if new[i] != old[i]))


class SpecReloader:
    """Reloads ``ctx``'s specs with ``load`` (default: ``sloboard.wiring.load_slos``) when their
    files change, then hands the SLOs now served to ``loaded``. ``clock`` is monotonic seconds
    (tests step it)."""

    def __init__(self, ctx: DashboardContext, load: Callable[[], LoadResult] | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 loaded: Callable[[list[SLO]], object] = lambda slos: None):
        self.ctx = ctx
        self._loaded = loaded
        self._load = load or self._load_settings
        self._clock = clock
        self._lock = threading.Lock()
        self._seen = self._look()
        self._next_look = clock() + POLL_S

    def _load_settings(self) -> LoadResult:
        return load_slos(self.ctx.settings)

    def _look(self) -> tuple:
        settings = self.ctx.settings
        return _fingerprint(Path(settings.specs_dir), settings.alert_windows_file)

    def maybe_reload(self) -> None:
        """Reload when the files changed since the last look, looking at most every ``POLL_S``
        seconds; while another thread reloads, return at once."""
        if self._clock() < self._next_look or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_look = self._clock() + POLL_S
            seen = self._look()
            if seen != self._seen:
                self._seen = seen
                self._reload("the spec files changed")
        finally:
            self._lock.release()

    def reload(self, reason: str = "asked to") -> None:
        """Reload now, whatever the files' times say."""
        with self._lock:
            self._seen = self._look()
            self._reload(reason)

    def _reload(self, reason: str) -> None:
        ctx = self.ctx
        result = self._load()
        slos, kept_files = merged(ctx.slos, result)
        for problem in result.errors:
            log.warning("spec problem after reload: %s", problem)
        if kept_files:
            log.warning("kept the last good SLOs for the problems in %s", ", ".join(kept_files))
        added, removed, changed = changes(ctx.slos, slos)
        ctx.replace_specs(slos, result.problems, kept_files)
        self._loaded(slos)
        if added or removed or changed:
            log.info("specs reloaded (%s) from %s: added %s, removed %s, changed %s; %d SLO(s) now",
                     reason, ctx.settings.specs_dir, added or "none", removed or "none", changed or "none", len(slos))
        else:
            log.info("specs reloaded (%s) from %s: no SLO changed", reason, ctx.settings.specs_dir)


def register(server: flask.Flask, ctx: DashboardContext) -> SpecReloader:
    """Look for spec changes before each request (but ``/healthz``, which does no I/O); each
    load, the first one included, is audited (``sloboard.spec_audit``)."""
    audit = functools.partial(record_spec_changes, ctx.store, actor="dashboard")
    audit(ctx.slos)
    reloader = SpecReloader(ctx, loaded=audit)
    server.extensions[EXTENSION_KEY] = reloader

    def before() -> None:
        if flask.request.path != "/healthz":
            reloader.maybe_reload()

    server.before_request(before)
    return reloader


def watch_sighup(server: flask.Flask) -> Callable[[], None]:
    """Reload ``server``'s specs on SIGHUP; returns the function that restores the previous
    handler. Only the main thread may set signal handlers: elsewhere this does nothing."""
    reloader = server.extensions.get(EXTENSION_KEY)
    if reloader is None or not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_hup(_signum, _frame) -> None:
        # A handler runs between two bytecodes of the main thread: do the work elsewhere.
        threading.Thread(target=reloader.reload, args=("SIGHUP",), name="sloboard-spec-reload", daemon=True).start()

    previous = signal.signal(signal.SIGHUP, on_hup)
    return lambda: signal.signal(signal.SIGHUP, previous)
