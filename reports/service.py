"""The one service the CLI, the scheduler and the dashboard call: build a report of a kind
for a period (default: the last complete one) and hand it to ``publish``. The scheduler's
and the dashboard's builds of one kind never overlap: each runs in ``build_locked``."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar

from sloboard.domain import SLO
from sloboard.errors import ReportBusyError, StoreLockedError
from sloboard.store import Store, this_process
from sloboard.store.records import ReportRun

from .periods import Period, last_complete, parse_period
from .render import Built

KINDS = ("weekly", "monthly", "quarterly")
# Longer than the slowest build measured (the 1,000-SLO monthly, under 3 minutes), and
# short enough that a process that died mid-build does not block the kind for long.
REPORT_LOCK_TTL_S = 3600
T = TypeVar("T")

_building_guard = threading.Lock()
_building_here: dict[tuple[str, str], str] = {}  # (database, kind) -> owner, for builds running in this process


def resolve_period(kind: str, text: str | None, timezone: str, now: float) -> Period:
    """``text`` as a period of ``kind``, or the last complete one at ``now``; raises PeriodError."""
    return last_complete(kind, now, timezone) if text is None else parse_period(kind, text, timezone)


def build(kind: str, store: Store, slos: Sequence[SLO], period: Period, settings) -> Built:
    """The HTML and headline of ``kind`` for ``period`` (builders imported here: only a report pays for them)."""
    from sloboard.dora_bands import load_dora_bands

    if kind == "weekly":
        from .weekly import build_weekly as builder
    elif kind == "monthly":
        from .monthly import build_monthly as builder
    else:
        from .quarterly import build_quarterly as builder
    return builder(store, slos, period, step_s=settings.collect.step_s, cost_budgets=settings.cost.budgets(),
                   dora_bands=load_dora_bands())


def make_report(store: Store, slos: Sequence[SLO], settings, kind: str, period: Period, *, send: bool = False,
                out: Path | None = None, actor: str = "sloboard",
                clock: Callable[[], float] = time.time) -> ReportRun:
    """Build, archive, record (and with ``send`` mail) one report; ``out`` gets a copy of the PDF."""
    from .publish import publish

    built = build(kind, store, slos, period, settings)
    run = publish(store, data_dir=settings.data_dir, reports=settings.reports, period=period, html=built.html,
                  headline=built.headline, send=send, actor=actor, clock=clock)
    if out is not None:
        Path(out).write_bytes((Path(settings.data_dir) / run.path).read_bytes())
    return run


def build_locked(store: Store, kind: str, owner: str, build: Callable[[], T]) -> T:
    """``build()`` holding the ``report:<kind>`` lock as ``owner`` (host:pid); raises
    ReportBusyError, having built nothing, while another build of ``kind`` holds it.

    The store's lock keeps processes apart, but its holder may take it again, and all
    threads of a process (the dashboard's requests, ``sloboard run``'s scheduler) are one
    host:pid: builds within this process are kept apart here as well."""
    with _building_in_this_process(store.url, kind, owner), ExitStack() as held:
        try:
            held.enter_context(store.lock(f"report:{kind}", owner, ttl_s=REPORT_LOCK_TTL_S))
        except StoreLockedError as exc:
            raise ReportBusyError(kind, exc.owner) from exc
        return build()


@contextmanager
def _building_in_this_process(database: str, kind: str, owner: str) -> Iterator[None]:
    key = (database, kind)
    with _building_guard:
        if key in _building_here:
            raise ReportBusyError(kind, _building_here[key])
        _building_here[key] = owner
    try:
        yield
    finally:
        with _building_guard:
            del _building_here[key]


class ReportService:
    """What the dashboard's Reports page calls (its ``ReportBuilder``), handed to it by the
    composition root (``sloboard.wiring.report_service``): the dashboard imports no
    ``reports`` module. It holds nothing, so it travels to gunicorn's workers as it is."""

    def last_complete(self, kind: str, timezone: str, now: float) -> str:
        """The label of the last complete ``kind`` period at ``now`` (what an empty period builds)."""
        return last_complete(kind, now, timezone).label

    def make(self, store: Store, slos: Sequence[SLO], settings, kind: str, period_text: str | None, *,
             now: float, send: bool, actor: str) -> ReportRun:
        """``make_report`` for ``period_text`` (None: the last complete period at ``now``) under the
        kind's lock; raises PeriodError for a bad period, ReportBusyError while another build runs."""
        period = resolve_period(kind, period_text, settings.timezone, now)
        return build_locked(store, kind, this_process(), lambda: make_report(
            store, slos, settings, kind, period, send=send, actor=actor))
