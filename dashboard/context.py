"""What every page and route of one dashboard app shares: settings, store, specs, clock,
and the report builder the entry point hands in.

``create_app`` builds one ``DashboardContext`` and keeps it on the Flask app
(``server.extensions["sloboard"]``). Page layouts and callbacks run inside a Flask
request, so they reach it through :func:`current` rather than through a global: two
apps in one process (tests) never see each other's store or clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable

import flask

from sloboard.domain import SLO
from sloboard.dora_bands import load_dora_bands
from sloboard.engine.dora import BandScales
from sloboard.errors import Problem
from sloboard.settings import Settings
from sloboard.reads.cost import cost_trends
from sloboard.reads.dora import dora_entries
from sloboard.reads.health import Freshness, freshness
from sloboard.reads.status import SLOEntry, StatusReport, slo_entry, status_report
from sloboard.reads.trends import TREND_DAYS, dora_trends, trend_lookback
from sloboard.wiring import load_slos

from .cache import SharedResults
from .cache_compute import InstantResults, deployments_version, spec_fingerprint
from .metrics import Metrics
from .report_builder import ReportBuilder

EXTENSION_KEY = "sloboard"


@dataclass
class DashboardContext:
    """One dashboard's dependencies. ``clock`` returns epoch seconds ("now")."""

    settings: Settings
    store: Any  # sloboard.store.Store
    clock: Callable[[], float]
    slos: list[SLO]
    problems: list[Problem]
    metrics: Metrics
    dora_bands: BandScales  # the DORA 2023 bands (sloboard.dora_bands), read once by whoever builds the app
    kept_files: list[str] = field(default_factory=list)  # files with errors whose last good SLOs are served
    reports: ReportBuilder | None = None  # what the Reports page builds through; None: it only lists them
    # Where per-instant results are kept (cache_compute.py); default: this process only.
    results: InstantResults | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.results is None:
            self.results = InstantResults(shared=None, wait_s=0.0, computations=self.metrics.computations)

    @property
    def step_s(self) -> int:
        return self.settings.collect.step_s

    def at(self) -> int:
        """The instant every page evaluates: now, floored to the collection step.

        Samples lie on the step grid, so the floor loses nothing, and every callback
        within one step sees the same instant (and shares one cached report).
        """
        return int(self.clock()) // self.step_s * self.step_s

    def report(self, at_epoch: int, *, dora: bool = True) -> StatusReport:
        """``status_report`` for all SLOs at ``at_epoch``, cached for the last few instants.

        The page shows exactly what ``sloboard status --json --at <at>`` prints. The SLO and
        cost entries and the DORA entries are kept apart ("status", "dora"): ``dora=False``
        gives the report without DORA (empty), for the overview, which shows DORA trends of
        its own and so never reads the deployments for these.
        """
        report = self.per_instant("status", at_epoch, lambda: status_report(
            self.store, self.slos, at_epoch, step_s=self.step_s, timezone_name=self.settings.timezone,
            cost_budgets=self.settings.cost.budgets(), dora_bands=self.dora_bands, dora=False))
        if not dora:
            return report
        return replace(report, dora=self.per_instant("dora", at_epoch, lambda: tuple(
            dora_entries(self.store, at_epoch, bands=self.dora_bands))))

    def freshness(self, at_epoch: int) -> Freshness:
        """The stale banner's ``reads.health.freshness`` at ``at_epoch``, kept for the instant like
        the report: every page load and tick of every browser asks for it, and a collection's
        write makes it new, as it does every other result."""
        return self.per_instant("freshness", at_epoch, lambda: freshness(
            self.store, at_epoch, self.settings.collect.interval_s, slo_ids=[s.id for s in self.slos],
            lag_s=self.settings.collect.lag_s))

    def dora_trends(self, at_epoch: int, services: set[str] | None) -> dict[str, dict[int, Any]]:
        """``reads.trends.dora_trends`` of ``services`` (None: all) at ``at_epoch``, kept for the instant."""
        key = ("dora_trends", None if services is None else frozenset(services))
        return self.per_instant(key, at_epoch, lambda: dora_trends(
            self.store, at_epoch, services=services, bands=self.dora_bands))

    def cost_trends(self, at_epoch: int, scope: str) -> dict[int, Any]:
        """``reads.cost.cost_trends`` of ``scope`` (``total``, ``team:X``, ``service:X``) at ``at_epoch``,
        kept for the instant."""
        team_of = {s.service: s.team for s in self.slos if s.team}
        return self.per_instant(("cost_trends", scope), at_epoch, lambda: cost_trends(
            self.store, at_epoch, scope, team_of))

    def replace_specs(self, slos: list[SLO], problems: list[Problem], kept_files: list[str]) -> None:
        """Serve ``slos`` from now on (a spec reload); forget every result computed for the old set."""
        self.slos, self.problems, self.kept_files = list(slos), list(problems), list(kept_files)
        self.results.replace_fingerprint(spec_fingerprint(self.slos, self.settings))

    def kept(self, key: Hashable, at_epoch: int) -> Any | None:
        """What :meth:`per_instant` keeps in this process under ``key`` for ``at_epoch``; None when nothing is."""
        return self.results.kept(key, at_epoch)

    def slo_status(self, slo_id: str, at_epoch: int) -> SLOEntry:
        """The report's entry of one SLO at ``at_epoch``: from the report when it is kept for the
        instant, else from a read of that SLO alone (``reads.status.slo_entry``, the same entry)."""
        report = self.kept("status", at_epoch)
        if report is not None:
            return report.slo(slo_id)
        return self.per_instant(("slo_status", slo_id), at_epoch,
                                lambda: slo_entry(self.store, self.slos, slo_id, at_epoch, step_s=self.step_s))

    def per_instant(self, key: Hashable, at_epoch: int, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept for the instant ``at_epoch`` under ``key`` (a few recent instants).

        Like the status report, a result is reused for its instant: the callbacks of one
        page, and every browser showing the dashboard within one step, share it; the
        next step computes afresh. With ``cache.url`` set, all workers share it too, and
        only one computes it (``cache_compute.py``). Only small results (a report, a
        trend) belong here: each is pickled into the shared cache.
        """
        return self.results.get(key, at_epoch, compute)

    def slo(self, slo_id: str) -> SLO | None:
        return next((s for s in self.slos if s.id == slo_id), None)

    @property
    def teams(self) -> list[str]:
        return sorted({s.team for s in self.slos if s.team})

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.slos})

    def known_services(self, at_epoch: int) -> list[str]:
        """The services the specs name, and those with deployments in the trend window (61 days)."""
        deployed = self.per_instant("known_services", at_epoch, lambda: self.store.deployment_services(
            start=trend_lookback(at_epoch, TREND_DAYS), end=at_epoch))
        return sorted(set(self.services) | set(deployed))


def build_context(settings: Settings, store, clock: Callable[[], float], server: flask.Flask,
                  reports: ReportBuilder | None = None) -> DashboardContext:
    """The context of a dashboard on ``store``: the specs and DORA bands read, the cache
    ``settings.cache`` names (Flask-Caching registers it on ``server``) and ``reports``."""
    specs = load_slos(settings)
    metrics = Metrics()
    shared = SharedResults(settings.cache, server) if settings.cache.url else None
    results = InstantResults(shared=shared, wait_s=settings.cache.wait_s, computations=metrics.computations,
                             deployments_version=lambda: deployments_version(store),
                             fingerprint=spec_fingerprint(specs.slos, settings))
    return DashboardContext(settings=settings, store=store, clock=clock, slos=list(specs.slos),
                            problems=list(specs.problems), metrics=metrics, dora_bands=load_dora_bands(),
                            results=results, reports=reports)


def current() -> DashboardContext:
    """The context of the app serving the current request."""
    return flask.current_app.extensions[EXTENSION_KEY]
