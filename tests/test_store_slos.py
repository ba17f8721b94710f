"""SLO definitions: upsert, version history on a changed spec hash, inactive when gone."""

from __future__ import annotations

import pytest

from sloboard.domain import SpecSource
from tests.factories import make_slo


def _slo(slo_id: str, spec_hash: str, **overrides):
    service, name = slo_id.split("/")
    return make_slo(id=slo_id, service=service, name=name, spec_hash=spec_hash, spec_text=f"# {spec_hash}", **overrides)


def test_synced_slos_round_trip(store, clock):
    source = SpecSource(path="slo_specs/checkout.yaml", line=3, format="openslo/v1")
    store.sync_slos([_slo("checkout/availability", "h1", source=source), _slo("search/latency", "h2", team="search-team")])

    rows = {r.slo_id: r for r in store.slo_rows()}
    assert list(rows) == ["checkout/availability", "search/latency"]
    checkout = rows["checkout/availability"]
    assert (checkout.service, checkout.name, checkout.team) == ("checkout", "availability", "payments-team")
    assert (checkout.objective, checkout.window) == (0.999, "28d")
    assert (checkout.format, checkout.spec_path) == ("openslo/v1", "slo_specs/checkout.yaml")
    assert (checkout.spec_hash, checkout.version, checkout.active) == ("h1", 1, True)
    assert checkout.created_at == checkout.updated_at == clock.now
    assert rows["search/latency"].team == "search-team"
    assert [(v.version, v.spec_hash, v.spec_text) for v in store.slo_versions("search/latency")] == [(1, "h2", "# h2")]


def test_a_changed_spec_hash_adds_a_version_and_an_unchanged_one_does_not(store, clock):
    store.sync_slos([_slo("checkout/availability", "h1")])
    clock.advance(60)
    store.sync_slos([_slo("checkout/availability", "h1")])
    assert [v.version for v in store.slo_versions("checkout/availability")] == [1]
    assert store.slo_rows()[0].updated_at == clock.now - 60  # nothing changed

    clock.advance(60)
    store.sync_slos([_slo("checkout/availability", "h2", objective=0.995)])
    clock.advance(60)
    store.sync_slos([_slo("checkout/availability", "h1")])  # reverting is a new version too

    history = store.slo_versions("checkout/availability")
    assert [(v.version, v.spec_hash, v.spec_text) for v in history] == [(1, "h1", "# h1"), (2, "h2", "# h2"), (3, "h1", "# h1")]
    assert [v.loaded_at - history[0].loaded_at for v in history] == [0, 120, 180]
    row = store.slo_rows()[0]
    assert (row.version, row.spec_hash, row.objective, row.updated_at) == (3, "h1", 0.999, clock.now)


def test_a_changed_team_updates_the_row_without_a_new_version(store):
    store.sync_slos([_slo("checkout/availability", "h1")])
    store.sync_slos([_slo("checkout/availability", "h1", team="platform")])
    row = store.slo_rows()[0]
    assert (row.team, row.version) == ("platform", 1)


def test_slos_missing_from_the_specs_become_inactive_and_come_back(store):
    store.sync_slos([_slo("checkout/availability", "h1"), _slo("search/latency", "h2")])
    store.sync_slos([_slo("search/latency", "h2")])
    assert {r.slo_id: r.active for r in store.slo_rows()} == {"checkout/availability": False, "search/latency": True}
    assert [r.slo_id for r in store.slo_rows(active_only=True)] == ["search/latency"]

    store.sync_slos([_slo("checkout/availability", "h1"), _slo("search/latency", "h2")])
    checkout = store.slo_rows()[0]
    assert (checkout.active, checkout.version) == (True, 1)


def test_a_repeated_slo_id_is_refused_and_nothing_is_written(store):
    with pytest.raises(ValueError, match="'checkout/availability' appears twice"):
        store.sync_slos([_slo("checkout/availability", "h1"), _slo("checkout/availability", "h2")])
    assert store.slo_rows() == []


def test_versions_of_an_unknown_slo_are_empty(store):
    assert store.slo_versions("nope/nothing") == []
