"""Spec changes seen on load go into the audit log (sloboard/store/audit_specs.py): one
entry per SLO added, changed or removed with the old and new hash of its spec text;
nothing when nothing changed; once when two processes see the same change. SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

from sloboard.specs import load_specs

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"


def _load(folder: Path):
    result = load_specs([folder])
    assert not result.errors, result.errors
    return result.slos


def _spec_entries(store):
    return [e for e in reversed(store.audit_entries(limit=None)) if e.action.startswith("spec.")]


def test_added_changed_removed_and_nothing_when_nothing_changed(store, tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("checkout.yaml", "payments.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, folder / name)
    first = {s.id: s for s in _load(folder)}
    added = store.audit_spec_changes(first.values(), actor="collector")
    assert sorted((e.action, e.payload["slo"]) for e in added) == sorted(("spec.added", i) for i in first)
    for entry in added:
        slo = first[entry.payload["slo"]]
        assert entry.payload == {"target": f"slo:{slo.id}", "slo": slo.id, "old_hash": None,
                                 "new_hash": slo.spec_hash, "spec_path": slo.source.path}
        assert entry.actor == "collector"
    assert store.audit_spec_changes(_load(folder), actor="dashboard") == []  # the same files again

    text = (folder / "checkout.yaml").read_text()
    (folder / "checkout.yaml").write_text(text.replace("target: 0.999", "target: 0.995", 1))
    assert "target: 0.995" in (folder / "checkout.yaml").read_text()
    second = {s.id: s for s in _load(folder)}
    changed = [i for i in second if second[i].spec_hash != first[i].spec_hash]
    assert changed and all(second[i].source.path.endswith("checkout.yaml") for i in changed)
    entries = store.audit_spec_changes(second.values(), actor="dashboard")
    assert [(e.action, e.payload["slo"], e.payload["old_hash"], e.payload["new_hash"]) for e in entries] == [
        ("spec.changed", i, first[i].spec_hash, second[i].spec_hash) for i in sorted(changed)]

    (folder / "payments.yaml").unlink()
    gone = sorted(i for i, s in second.items() if s.source.path.endswith("payments.yaml"))
    removed = store.audit_spec_changes(_load(folder), actor="collector")
    assert [(e.action, e.payload["slo"], e.payload["new_hash"], e.payload["spec_path"]) for e in removed] == [
        ("spec.removed", i, None, second[i].source.path) for i in gone]
    assert store.audit_spec_changes(_load(folder), actor="collector") == []
    assert len(_spec_entries(store)) == len(first) + len(changed) + len(gone)
    assert store.check_audit().ok


def test_the_hash_is_the_sha256_of_the_spec_text_as_loaded(store):
    """The recorded hash is the SLO's own spec hash: 64 hex digits, one per distinct text."""
    slos = _load(SPECS)
    entries = store.audit_spec_changes(slos, actor="collector")
    hashes = {e.payload["slo"]: e.payload["new_hash"] for e in entries}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in hashes.values())
    assert hashlib.sha256(b"").hexdigest() not in hashes.values()
    assert len(hashes) == len(slos)


def test_two_processes_seeing_the_same_change_record_it_once(open_store, clock):
    slos = _load(SPECS)
    stores = [open_store(clock=clock) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results = []

    def load(store):
        barrier.wait()
        results.append(len(store.audit_spec_changes(slos, actor="worker")))

    threads = [threading.Thread(target=load, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 0, 0, len(slos)]
    assert len(_spec_entries(stores[0])) == len(slos)
