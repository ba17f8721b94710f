"""The demo fleet's specs and real files from public projects load without a change."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from sloboard.domain import IndicatorKind, QueryMode, Window
from sloboard.specs import load_specs

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "slo_specs"
REAL_WORLD = Path(__file__).resolve().parent / "specs_fixtures" / "real_world"


def test_demo_specs_load_with_zero_problems():
    result = load_specs([DEMO])
    assert result.problems == [], [str(p) for p in result.problems]
    assert result.ok


def test_demo_fleet_has_an_availability_and_a_latency_slo_per_service():
    result = load_specs([DEMO])
    kinds = defaultdict(set)
    for slo in result.slos:
        kinds[slo.service].add(slo.indicator.kind)
    assert dict(kinds) == {service: {IndicatorKind.RATIO, IndicatorKind.LATENCY}
                           for service in ("checkout", "payments", "search")}
    teams = {slo.service: slo.team for slo in result.slos}
    assert teams == {"checkout": "storefront", "payments": "payments", "search": "discovery"}


def test_demo_fleet_is_mostly_openslo_with_one_sloth_and_one_pyrra_file():
    result = load_specs([DEMO])
    files_by_format = defaultdict(set)
    for slo in result.slos:
        files_by_format[slo.source.format].add(Path(slo.source.path).name)
    assert files_by_format["sloth/prometheus/v1"] == {"search-sloth.yaml"}
    assert files_by_format["pyrra/v1alpha1"] == {"search-pyrra.yaml"}
    openslo_slos = [s for s in result.slos if s.source.format == "openslo/v1"]
    assert len(openslo_slos) > len(result.slos) / 2


def test_demo_latency_bounds_are_buckets_the_demo_fleet_exports():
    # The synthetic fleet writes le labels the way the Python client spells them.
    from collectors.synthetic import LE_LABELS

    for slo in load_specs([DEMO]).slos:
        if slo.indicator.kind is IndicatorKind.LATENCY:
            assert any(f'le="{le}"' in slo.indicator.good for le in LE_LABELS), slo.indicator.good


def test_real_world_files_load_unchanged():
    result = load_specs([REAL_WORLD])
    assert result.problems == [], [str(p) for p in result.problems]
    by_id = {slo.id: slo for slo in result.slos}
    assert sorted(by_id) == [
        "apiserver/apiserver-read-resource-request-latency",  # Pyrra: the service is the queries' job
        "k8s-apiserver/requests-availability",
        "k8s-apiserver/requests-latency",
        "myservice/requests-availability",
        "myservice2/requests-availability",
        "prometheus-k8s/prometheus-http-errors",
        "web/web-availability",
    ]
    # A few facts per format, computed from the files by hand.
    web = by_id["web/web-availability"]
    assert (web.objective, web.window, web.team) == (
        0.995, Window(timedelta(days=7), calendar_unit="week", timezone="America/New_York"), "team-a")
    assert (web.timeslice_target, web.timeslice_window) == (0.95, timedelta(minutes=1))
    assert by_id["myservice2/requests-availability"].objective == 0.9999
    assert by_id["myservice2/requests-availability"].team == "myteam2"
    assert by_id["k8s-apiserver/requests-latency"].indicator.mode is QueryMode.WINDOW
    latency = by_id["apiserver/apiserver-read-resource-request-latency"]
    assert (latency.indicator.kind, latency.indicator.latency_threshold_s, latency.window.duration) == (
        IndicatorKind.LATENCY, 1.0, timedelta(days=14))
