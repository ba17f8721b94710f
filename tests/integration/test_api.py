"""The JSON API over a real HTTP server: SLO status, deployments with a token, the deploy gate.

The store holds hand-written samples whose budgets the test computes itself, so the
gate's answer follows from numbers the test knows.
"""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest
import requests

from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store

from .browser import SPECS_DIR, DashboardServer

pytestmark = pytest.mark.integration
STEP = 60
AT = 1_800_000_000 // 86_400 * 86_400  # on the step grid
TOKEN = "s3cret-token"  # of the deprecated api_tokens setting: every machine scope
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """checkout/availability (99.9 %, 28d) burns 2x its budget: freeze. checkout/latency
    has no data. search/availability (99.5 %) is at 99.9 %: ok."""
    specs_dir = tmp_path_factory.mktemp("specs")
    for name in ("checkout.yaml", "search-sloth.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs_dir / name)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), specs_dir=specs_dir, api_tokens={"ci": TOKEN})
    store = Store.open(f"sqlite:///{settings.data_dir / 'api.db'}")
    store.sync_slos(load_specs([specs_dir]).slos)
    ts = np.arange(AT - 28 * 86_400 + STEP, AT + 1, STEP, dtype=np.int64)
    total = np.full(ts.size, 1000.0)
    store.write_sli_samples("checkout/availability", ts, total - 2.0, total)  # SLI 0.998: consumed 2.0
    store.write_sli_samples("search/availability", ts, total - 1.0, total)  # SLI 0.999 vs 0.995: consumed 0.2
    server = DashboardServer.start(settings, store=store, clock=lambda: AT + 5)
    yield server.url, store
    server.stop()
    store.close()


def test_slo_status_equals_the_budget_computed_here(api):
    url, _ = api
    body = requests.get(f"{url}/api/v1/slos/checkout/availability/status", headers=AUTH, timeout=30).json()
    assert body["sli"] == pytest.approx(0.998, abs=1e-12)
    assert body["budget_remaining"] == pytest.approx(1 - 0.002 / 0.001, abs=1e-9)
    assert body["policy"] == "freeze"
    listed = requests.get(f"{url}/api/v1/slos", headers=AUTH, timeout=30).json()["slos"]
    assert {s["id"] for s in listed} == {"checkout/availability", "checkout/latency", "search/availability"}


def test_unknown_slo_is_404(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/slos/nope/x/status", headers=AUTH, timeout=30)
    assert response.status_code == 404 and "nope/x" in response.json()["error"]


def test_gate_freezes_a_service_over_budget(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/gate", params={"service": "checkout"}, headers=AUTH, timeout=30)
    body = response.json()
    assert response.status_code == 423 and body["allow"] is False and body["state"] == "freeze"
    assert body["reasons"][0] == ("checkout/availability: error budget -100.0% remaining, below the freeze level "
                                  "0.0%; the policy freezes deploys")
    assert ("checkout/latency: fail-closed: no SLI samples stored yet; the gate denies what it cannot judge "
            "(gate.fail_open is false)") in body["reasons"]


def test_gate_lets_a_healthy_service_deploy(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/gate", params={"service": "search"}, headers=AUTH, timeout=30)
    assert response.status_code == 200
    assert response.json()["allow"] is True and response.json()["state"] == "ok"


@pytest.mark.parametrize(
    "params, status",
    [pytest.param({}, 400, id="no service named"), pytest.param({"service": "ghost"}, 404, id="service without SLOs")],
)
def test_gate_bad_requests(api, params, status):
    url, _ = api
    assert requests.get(f"{url}/api/v1/gate", params=params, headers=AUTH, timeout=30).status_code == status


def test_deployment_post_needs_the_token_records_once_and_is_audited(api):
    url, store = api
    body = {"service": "search", "version": "v9", "status": "success",
            "started_at": "2027-01-14T10:00:00Z", "finished_at": "2027-01-14T10:03:00Z", "commit": "abc123"}
    assert requests.post(f"{url}/api/v1/deployments", json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.post(f"{url}/api/v1/deployments", json=body, headers=wrong, timeout=30).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = requests.post(f"{url}/api/v1/deployments", json=body, headers=auth, timeout=30)
    again = requests.post(f"{url}/api/v1/deployments", json=body, headers=auth, timeout=30)
    assert (first.status_code, again.status_code) == (201, 200)
    recorded = store.deployments(service="search")
    assert [(d.version, d.status.value, d.commit, d.duration_s) for d in recorded] == [("v9", "succeeded", "abc123", 180.0)]
    assert store.verify_audit()[0] is True


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param({"service": "a", "version": "1", "status": "exploded"}, "status", id="unknown status"),
        pytest.param({"service": "a", "version": "1", "status": "failed", "colour": "red"}, "colour", id="unknown field"),
        pytest.param({"service": "a", "status": "failed"}, "version", id="missing field"),
        pytest.param({"service": "a", "version": "1", "status": "failed", "started_at": "soon"}, "not a time", id="bad time"),
        pytest.param({"service": "a", "version": "1", "status": "failed", "started_at": 200, "finished_at": 100},
                     "before", id="finish before start"),
    ],
)
def test_bad_deployment_bodies_are_400_naming_the_field(api, body, message):
    url, _ = api
    response = requests.post(f"{url}/api/v1/deployments", json=body,
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 400 and message in response.json()["error"]




def _json_error(response, status: int) -> str:
    """The error of a JSON answer with ``status``; fails on an HTML page or another status."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    return response.json()["error"]


@pytest.mark.parametrize(
    "at",
    [pytest.param("99999999999999", id="epoch past the year 9999"),
     pytest.param("1969-07-20T20:17:00Z", id="before the epoch"),
     pytest.param("now-99999999999999999d", id="a duration too long for a timedelta")],
)
def test_status_at_a_time_out_of_range_is_a_json_400(api, at):
    url, _ = api
    response = requests.get(f"{url}/api/v1/slos/checkout/availability/status", params={"at": at}, headers=AUTH, timeout=30)
    assert _json_error(response, 400) == f"at: {at!r} is out of range; a time must lie between " \
        "1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z"


def test_unknown_api_paths_and_methods_answer_json(api):
    url, _ = api
    assert _json_error(requests.get(f"{url}/api/v1/nothing-here", headers=AUTH, timeout=30), 404) == \
        "no API route GET /api/v1/nothing-here; see README, section HTTP API"
    assert "no API route POST /api/v2/slos" in _json_error(requests.post(f"{url}/api/v2/slos", headers=AUTH, timeout=30), 404)
    assert "no API route DELETE /api/v1/slos" in _json_error(requests.delete(f"{url}/api/v1/slos", headers=AUTH, timeout=30), 404)


def test_deployment_body_takes_the_cli_flag_names(api):
    url, store = api
    body = {"service": "checkout", "version": "v7", "status": "rollback", "commit": "c0ffee",
            "started": "2027-01-14T11:00:00Z", "finished": "2027-01-14T11:04:00Z", "committed": "2027-01-14T09:00:00Z"}
    response = requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == []
    [d] = [d for d in store.deployments(service="checkout") if d.version == "v7"]
    assert (d.status.value, d.duration_s, d.committed_at.isoformat()) == ("rolled_back", 240.0, "2027-01-14T09:00:00+00:00")


@pytest.mark.parametrize(
    "extra, message",
    [
        pytest.param({"startd_at": "now"}, "startd_at: unknown field 'startd_at'; did you mean 'started_at'?",
                     id="a misspelt field names the right one"),
        pytest.param({"started": "now", "started_at": "now"}, "started: give started_at or started, not both",
                     id="both spellings of one field"),
        pytest.param({"committed": "99999999999999"}, "committed_at: '99999999999999' is out of range",
                     id="a time out of range names its field"),
    ],
)
def test_deployment_body_errors_name_the_field(api, extra, message):
    url, _ = api
    body = {"service": "search", "version": "v1", "status": "failed", **extra}
    response = requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=30)
    assert message in _json_error(response, 400)


def test_a_deployment_of_a_service_without_slos_is_stored_with_a_warning(api):
    url, store = api
    body = {"service": "ghost", "version": "v1", "status": "succeeded", "started_at": "2027-01-14T12:00:00Z"}
    response = requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=30)
    assert response.status_code == 201
    assert response.json()["warnings"] == [
        "service: no SLO covers service 'ghost' (known: checkout, search); stored anyway, DORA counts it"]
    assert [d.version for d in store.deployments(service="ghost")] == ["v1"]


def test_the_default_body_limit_is_64_kib(api):
    url, store = api
    body = {"service": "search", "version": "v-big", "status": "failed", "commit": "x" * (65 << 10)}
    response = requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=30)
    assert _json_error(response, 413) == "the body is larger than 65536 bytes (the setting api.max_body_bytes)"
    assert [d for d in store.deployments(service="search") if d.version == "v-big"] == []


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A server that refuses unknown services and bodies over 2 KiB, with two routes that
    fail as a bug would (added before it serves: Flask allows no routes after that)."""
    specs_dir = tmp_path_factory.mktemp("strict-specs")
    shutil.copy(SPECS_DIR / "checkout.yaml", specs_dir / "checkout.yaml")
    shutil.copy(SPECS_DIR / "prometheus.yaml", specs_dir / "prometheus.yaml")
    settings = Settings(data_dir=tmp_path_factory.mktemp("strict-data"), specs_dir=specs_dir, api_tokens={"ci": TOKEN},
                        api={"max_body_bytes": 2048, "unknown_services": "refuse"})
    store = Store.open(f"sqlite:///{settings.data_dir / 'strict.db'}")
    from dashboard.serve import build_server

    server = build_server(settings, "127.0.0.1", 0, store=store, clock=lambda: AT)

    def fail():
        raise RuntimeError("a bug")

    server.app.add_url_rule("/api/v1/test-bug", "test_api_bug", fail)
    server.app.add_url_rule("/test-bug", "test_page_bug", fail)
    running = DashboardServer(server, threading.Thread(target=server.serve_forever, daemon=True))
    running.thread.start()
    yield running.url, store
    running.stop()
    store.close()


def test_a_body_over_the_limit_is_a_json_413_and_nothing_is_stored(strict):
    url, store = strict
    body = {"service": "checkout", "version": "v1", "status": "failed", "commit": "x" * (20 << 20)}
    response = requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=60)
    assert _json_error(response, 413) == "the body is larger than 2048 bytes (the setting api.max_body_bytes)"
    assert store.deployments(service="checkout") == []
    small = {**body, "commit": "x" * 1500}
    assert requests.post(f"{url}/api/v1/deployments", json=small, headers=AUTH, timeout=30).status_code == 201


def test_a_service_without_slos_is_refused_when_the_setting_says_so(strict):
    url, store = strict
    body = {"service": "ghost", "version": "v1", "status": "succeeded"}
    error = _json_error(requests.post(f"{url}/api/v1/deployments", json=body, headers=AUTH, timeout=30), 422)
    assert error == "service: no SLO covers service 'ghost' (known: checkout); api.unknown_services is refuse"
    assert store.deployments(service="ghost") == []


def test_a_bug_is_a_json_500_under_the_api_and_plain_text_elsewhere_never_html(strict):
    url, _ = strict
    assert "internal error: RuntimeError" in _json_error(requests.get(f"{url}/api/v1/test-bug", timeout=30), 500)
    page = requests.get(f"{url}/test-bug", timeout=30)
    assert page.status_code == 500 and page.headers["Content-Type"].startswith("text/plain")
    assert "<html" not in page.text.lower() and "internal error: RuntimeError" in page.text
