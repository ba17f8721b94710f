"""Collector runs that fail or come back incomplete are audited, one entry per run with
its target, range and error, in the transaction that closes the run; successful runs are
not. And a collection pass records the spec changes it loads, once."""

from __future__ import annotations

import numpy as np

from collectors.promql import presence_query
from collectors.source import SourceSeries
from collectors.targets import SLITarget
from tests.test_collection_pass import (  # noqa: F401 (source and truth are fixtures)
    CHECKOUT, GRID, SEARCH, STEPS, FakeSource, _answers, _pass, source, truth)


def _entries(store, prefix):
    return [e for e in reversed(store.audit_entries(limit=None)) if e.action.startswith(prefix)]


def test_a_failed_run_has_one_audit_entry_with_its_target_and_error(store, source, truth):
    source.down_from_call = 21  # the second SLO's third chunk: its run fails after 100 samples
    _pass(store, source)
    failed = store.runs(limit=1)[0]
    (entry,) = _entries(store, "collector.")
    assert (entry.action, entry.actor) == ("collector.failed", "collector:prometheus")
    assert entry.payload == {"target": "query:sli:search/availability", "run": failed.id, "status": "failed",
                             "error": failed.error, "range_start": failed.range_start, "range_end": failed.range_end,
                             "samples_written": 100}
    assert "Connection refused" in entry.payload["error"]
    _pass(store, FakeSource(_answers(truth)))  # the catch-up succeeds: nothing more audited
    assert len(_entries(store, "collector.")) == 1
    assert store.check_audit().ok


def test_an_incomplete_run_is_audited_with_its_warning(store, truth):
    answers = _answers(truth)
    _, total_query = SLITarget(CHECKOUT).per_step_queries(60)
    (total,) = answers[total_query]
    hole = np.ones(STEPS, bool)
    hole[100:120] = False
    answers[total_query] = [SourceSeries((), GRID[hole], total.values[hole])]
    answers[presence_query(CHECKOUT.indicator.total, CHECKOUT.indicator.mode, 60)] = [
        SourceSeries((), GRID, np.full(STEPS, 3.0))]
    _pass(store, FakeSource(answers), slos=(CHECKOUT,))
    (entry,) = _entries(store, "collector.")
    assert entry.action == "collector.incomplete" and entry.payload["status"] == "incomplete"
    assert "gave no data for 20 step(s)" in entry.payload["error"]
    assert entry.payload["samples_written"] == STEPS - 20


def test_the_store_audits_each_unsuccessful_close_and_no_successful_one(store):
    runs = {status: store.start_run("prometheus", f"sli:{status}", 0, 600) for status in ("ok", "incomplete", "failed")}
    for status, run_id in runs.items():
        store.finish_run(run_id, status=status, samples_written=3, error=None if status == "ok" else f"{status}!")
    assert [(e.action, e.payload["run"], e.payload["error"]) for e in _entries(store, "collector.")] == [
        ("collector.incomplete", runs["incomplete"], "incomplete!"), ("collector.failed", runs["failed"], "failed!")]


def test_a_pass_records_the_spec_changes_it_loads_once(store, source, truth):
    _pass(store, source)
    assert sorted(e.payload["slo"] for e in _entries(store, "spec.")) == sorted([CHECKOUT.id, SEARCH.id])
    _pass(store, FakeSource(_answers(truth)))
    assert len(_entries(store, "spec.")) == 2
