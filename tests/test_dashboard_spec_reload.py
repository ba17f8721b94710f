"""Reloading a dashboard's specs when their files change: real spec files in a temporary
folder, the real loader, a stepped monotonic clock for the poll interval."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from dashboard.context import DashboardContext
from dashboard.metrics import Metrics
from dashboard.spec_reload import POLL_S, SpecReloader
from sloboard.dora_bands import load_dora_bands
from sloboard.settings import Settings
from sloboard.specs import load_specs

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"
BROKEN = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: availability\nspec:\n  objective: high\n"
CHECKOUT = {"checkout/availability", "checkout/latency"}
PAYMENTS = {"payments/availability", "payments/latency"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path) -> Path:
    """Checkout's SLOs and the Prometheus data source they name."""
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, specs / name)
    return specs


@pytest.fixture
def watched(folder, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", specs_dir=folder)
    loaded = load_specs([folder])
    ctx = DashboardContext(settings=settings, store=None, clock=lambda: 0.0, slos=list(loaded.slos),
                           problems=list(loaded.problems), metrics=Metrics(), dora_bands=load_dora_bands())
    clock = Clock()
    return ctx, SpecReloader(ctx, clock=clock), clock


def ids(ctx) -> set[str]:
    return {s.id for s in ctx.slos}


def look(reloader, clock) -> None:
    """A request after the poll interval."""
    clock.now += POLL_S
    reloader.maybe_reload()


def test_a_new_file_is_loaded_at_the_first_request_after_the_poll_interval(watched, folder, caplog):
    ctx, reloader, clock = watched
    assert ids(ctx) == CHECKOUT
    shutil.copy(SPECS / "payments.yaml", folder / "payments.yaml")
    clock.now += POLL_S / 2
    reloader.maybe_reload()
    assert ids(ctx) == CHECKOUT, "not looked at again within the poll interval"
    with caplog.at_level(logging.INFO, logger="dashboard.spec_reload"):
        look(reloader, clock)
    assert ids(ctx) == CHECKOUT | PAYMENTS
    assert "added ['payments/availability', 'payments/latency'], removed none, changed none" in caplog.text


def test_a_changed_and_a_removed_spec_are_logged_by_id(watched, folder, caplog):
    ctx, reloader, clock = watched
    shutil.copy(SPECS / "payments.yaml", folder / "payments.yaml")
    look(reloader, clock)
    text = (folder / "checkout.yaml").read_text()
    assert "target: 0.999" in text  # availability's objective, the first in the file
    (folder / "checkout.yaml").write_text(text.replace("target: 0.999", "target: 0.995", 1))
    (folder / "payments.yaml").unlink()
    with caplog.at_level(logging.INFO, logger="dashboard.spec_reload"):
        look(reloader, clock)
    assert ids(ctx) == CHECKOUT
    assert ctx.slo("checkout/availability").objective == 0.995
    assert ("added none, removed ['payments/availability', 'payments/latency'], changed ['checkout/availability']"
            in caplog.text)


def test_a_file_that_no_longer_loads_keeps_its_last_good_slos(watched, folder, caplog):
    ctx, reloader, clock = watched
    before = {s.id: s.spec_hash for s in ctx.slos}
    (folder / "checkout.yaml").write_text(BROKEN)
    shutil.copy(SPECS / "payments.yaml", folder / "payments.yaml")  # the other files' changes still apply
    with caplog.at_level(logging.INFO, logger="dashboard.spec_reload"):
        look(reloader, clock)
    assert {s.id: s.spec_hash for s in ctx.slos if s.id in CHECKOUT} == before
    assert ids(ctx) == CHECKOUT | PAYMENTS
    path = str(folder / "checkout.yaml")
    assert ctx.kept_files == [path]
    assert any(p.path == path and p.severity == "error" for p in ctx.problems), "the problem is shown"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(path in w and "objective" in w for w in warnings), warnings
    assert any(w == f"kept the last good SLOs for the problems in {path}" for w in warnings), warnings

    shutil.copy(SPECS / "checkout.yaml", folder / "checkout.yaml")  # fixed: it loads again
    look(reloader, clock)
    assert ctx.kept_files == [] and not [p for p in ctx.problems if p.severity == "error"]


def test_a_broken_alert_windows_file_keeps_every_slo(watched, folder, tmp_path):
    ctx, _, clock = watched
    windows = tmp_path / "windows.yaml"
    windows.write_text("windows: [")
    ctx.settings = Settings(data_dir=tmp_path / "data", specs_dir=folder, alert_windows_file=windows)
    reloader = SpecReloader(ctx, clock=clock)
    before = list(ctx.slos)
    reloader.reload()
    assert ctx.slos == before and ctx.kept_files == [str(windows)]


def test_sighup_style_reload_needs_no_change_and_no_wait(watched, folder, caplog):
    ctx, reloader, _ = watched
    with caplog.at_level(logging.INFO, logger="dashboard.spec_reload"):
        reloader.reload("SIGHUP")
    assert "specs reloaded (SIGHUP)" in caplog.text and "no SLO changed" in caplog.text


def test_a_result_computed_across_a_reload_is_not_kept(watched):
    ctx, _, _ = watched
    old = list(ctx.slos)

    def compute_while_specs_change():
        ctx.replace_specs(old[:1], [], [])
        return "for the old specs"

    assert ctx.per_instant("status", 60, compute_while_specs_change) == "for the old specs"
    assert ctx.kept("status", 60) is None
    assert ctx.per_instant("status", 60, lambda: "for the new specs") == "for the new specs"
    assert ctx.kept("status", 60) == "for the new specs"
