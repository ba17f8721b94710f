"""The JSON API over a real HTTP server: SLO status, deployments with a token, the deploy gate.

The store holds hand-written samples whose budgets the test computes itself, so the
gate's answer follows from numbers the test knows.
"""

from __future__ import annotations

import shutil

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
TOKEN = "s3cret-token"


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
    body = requests.get(f"{url}/api/v1/slos/checkout/availability/status", timeout=30).json()
    assert body["sli"] == pytest.approx(0.998, abs=1e-12)
    assert body["budget_remaining"] == pytest.approx(1 - 0.002 / 0.001, abs=1e-9)
    assert body["policy"] == "freeze"
    listed = requests.get(f"{url}/api/v1/slos", timeout=30).json()["slos"]
    assert {s["id"] for s in listed} == {"checkout/availability", "checkout/latency", "search/availability"}


def test_unknown_slo_is_404(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/slos/nope/x/status", timeout=30)
    assert response.status_code == 404 and "nope/x" in response.json()["error"]


def test_gate_freezes_a_service_over_budget(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/gate", params={"service": "checkout"}, timeout=30)
    body = response.json()
    assert response.status_code == 423 and body["allowed"] is False and body["state"] == "freeze"
    assert any(r.startswith("checkout/availability: error budget -100.0% remaining") for r in body["reasons"])
    assert "checkout/latency: no data; the gate stays open" in body["reasons"]


def test_gate_lets_a_healthy_service_deploy(api):
    url, _ = api
    response = requests.get(f"{url}/api/v1/gate", params={"service": "search"}, timeout=30)
    assert response.status_code == 200
    assert response.json()["allowed"] is True and response.json()["state"] == "ok"


@pytest.mark.parametrize(
    "params, status",
    [pytest.param({}, 400, id="no service named"), pytest.param({"service": "ghost"}, 404, id="service without SLOs")],
)
def test_gate_bad_requests(api, params, status):
    url, _ = api
    assert requests.get(f"{url}/api/v1/gate", params=params, timeout=30).status_code == status


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
