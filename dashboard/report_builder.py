"""What the Reports page asks of the reports package, as a Protocol: the composition root
(``sloboard.wiring.report_service``) hands an implementation to ``create_app``, so the
dashboard builds reports without importing ``reports`` (tests/test_layering.py). A
dashboard started without one lists the reports built and offers no building."""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from sloboard.domain import SLO
from sloboard.settings import Settings
from sloboard.store.records import ReportRun


class ReportBuilder(Protocol):
    def last_complete(self, kind: str, timezone: str, now: float) -> str:
        """The label of the last complete ``kind`` period at ``now``."""

    def make(self, store: Any, slos: Sequence[SLO], settings: Settings, kind: str, period_text: str | None, *,
             now: float, send: bool, actor: str) -> ReportRun:
        """Build (with ``send`` mail) one report of ``period_text`` (None: the last complete period),
        audited as ``actor``; raises SloboardError (PeriodError, ReportBusyError while another
        build of ``kind`` runs)."""
