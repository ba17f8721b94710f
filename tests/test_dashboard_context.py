"""The dashboard keeps results per instant, a few recent instants of them."""

from __future__ import annotations

from dashboard.context import DashboardContext
from dashboard.metrics import Metrics
from sloboard.dora_bands import load_dora_bands
from sloboard.settings import Settings


def _context() -> DashboardContext:
    return DashboardContext(settings=Settings(), store=None, clock=lambda: 0.0, slos=[], problems=[],
                            metrics=Metrics(), dora_bands=load_dora_bands())


def test_results_are_kept_per_instant_and_computed_once():
    ctx = _context()
    calls = []
    for _ in range(2):
        assert ctx.per_instant("status", 60, lambda: calls.append(60) or "report at 60") == "report at 60"
    assert calls == [60]
    assert ctx.kept("status", 60) == "report at 60" and ctx.kept("status", 120) is None
