"""The one service the CLI and the scheduler call: build a report of a kind for a period
(default: the last complete one) and hand it to ``publish``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from sloboard.domain import SLO
from sloboard.store import Store
from sloboard.store.records import ReportRun

from .periods import Period, last_complete, parse_period
from .render import Built

KINDS = ("weekly", "monthly", "quarterly")


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
