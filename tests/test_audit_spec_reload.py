"""The dashboard audits the specs it loads: at start, and on each reload that changes an
SLO, never on one that changes nothing; a store without a schema is logged, not fatal."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from dashboard.app import create_app
from dashboard.spec_reload import EXTENSION_KEY
from sloboard.settings import Settings
from sloboard.spec_audit import record_spec_changes
from sloboard.specs import load_specs
from sloboard.store import Store

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"


def _spec_entries(store):
    return [(e.action, e.payload["slo"], e.actor) for e in reversed(store.audit_entries(limit=None))
            if e.action.startswith("spec.")]


def test_start_and_reloads_are_audited_once_per_change(store, tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, folder / name)
    ids = sorted(s.id for s in load_specs([folder]).slos)
    app = create_app(Settings(data_dir=tmp_path / "data", specs_dir=folder), store=store)
    assert _spec_entries(store) == [("spec.added", i, "dashboard") for i in ids]
    reloader = app.server.extensions[EXTENSION_KEY]
    reloader.reload("test")  # nothing changed on disk
    assert len(_spec_entries(store)) == len(ids)

    shutil.copy(SPECS / "payments.yaml", folder / "payments.yaml")
    text = (folder / "checkout.yaml").read_text()
    (folder / "checkout.yaml").write_text(text.replace("target: 0.999", "target: 0.995", 1))
    reloader.reload("test")
    after = load_specs([folder]).slos
    before = {s.id: s.spec_hash for s in load_specs([SPECS / "checkout.yaml", SPECS / "prometheus.yaml"]).slos}
    changed = sorted(s.id for s in after if s.id in before and before[s.id] != s.spec_hash)
    added = sorted(s.id for s in after if s.id not in before)
    assert changed == ["checkout/availability"] and added == ["payments/availability", "payments/latency"]
    assert _spec_entries(store)[len(ids):] == sorted(
        [("spec.changed", i, "dashboard") for i in changed] + [("spec.added", i, "dashboard") for i in added],
        key=lambda entry: entry[1])
    assert store.check_audit().ok


def test_a_store_that_cannot_take_the_entries_is_logged_and_serving_goes_on(tmp_path, caplog):
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}", upgrade=False)
    try:
        with caplog.at_level(logging.WARNING, logger="sloboard.spec_audit"):
            assert record_spec_changes(store, load_specs([SPECS]).slos, actor="dashboard") == 0
    finally:
        store.close()
    assert "spec changes not audited this time: " in caplog.text
