"""Machines' bearer tokens over a real HTTP server: a store token with the right scope
records a deployment, a wrong scope is 403, revoked and expired ones are 401, its last use
is recorded; a token of the old api_tokens setting still works, with a warning."""

from __future__ import annotations

import logging
import shutil

import pytest
import requests

from sloboard import credentials
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store

from .browser import SPECS_DIR, DashboardServer

pytestmark = pytest.mark.integration
NOW = 1_800_000_000
LEGACY = "legacy-settings-token-0123456789"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    specs_dir = tmp_path_factory.mktemp("specs")
    shutil.copy(SPECS_DIR / "checkout.yaml", specs_dir / "checkout.yaml")
    shutil.copy(SPECS_DIR / "prometheus.yaml", specs_dir / "prometheus.yaml")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), specs_dir=specs_dir, api_tokens={"old-ci": LEGACY})
    store = Store.open(f"sqlite:///{settings.data_dir / 'tokens.db'}", clock=lambda: NOW)
    store.sync_slos(load_specs([specs_dir]).slos)
    tokens = {}
    for name, scopes, expires in [("ci", ("deploy:write",), NOW + 86400), ("gate", ("gate:read",), NOW + 86400),
                                  ("old", ("deploy:write",), NOW - 1), ("gone", ("deploy:write",), NOW + 86400)]:
        tokens[name] = credentials.new_token()
        store.add_token(name, credentials.token_digest(tokens[name]), scopes, expires, actor="test")
    store.revoke_token("gone", actor="test")
    server = DashboardServer.start(settings, store=store, clock=lambda: NOW)
    yield server.url, store, tokens, server.server.app
    server.stop()
    store.close()


def _post(url, token, version):
    body = {"service": "checkout", "version": version, "status": "failed", "started_at": NOW - 600}
    return requests.post(f"{url}/api/v1/deployments", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}"} if token else {})


def test_a_store_token_with_deploy_write_records_and_its_use_is_recorded(served):
    url, store, tokens, app = served
    response = _post(url, tokens["ci"], "v1")
    assert response.status_code == 201, response.text
    assert store.token_by_digest(credentials.token_digest(tokens["ci"])).last_used_at == NOW
    assert store.audit_entries(action="deployment.record", limit=1)[0].actor == "api:token:ci"


@pytest.mark.parametrize("name, status, message", [
    pytest.param("gate", 403, "token gate lacks scope deploy:write", id="a token without the scope is 403"),
    pytest.param("old", 401, "token old is expired", id="an expired token is 401"),
    pytest.param("gone", 401, "token gone is revoked", id="a revoked token is 401"),
    pytest.param(None, 401, "needs Authorization: Bearer", id="no token is 401"),
    pytest.param("slb_made-up", 401, "unknown bearer token", id="an unknown token is 401"),
])
def test_refused_tokens_say_why_and_record_nothing(served, name, status, message):
    url, store, tokens, app = served
    response = _post(url, tokens.get(name, name), f"refused-{name}")
    assert response.status_code == status and message in response.json()["error"]
    assert not [d for d in store.deployments(service="checkout") if d.version == f"refused-{name}"]


def test_a_token_of_the_deprecated_setting_still_works_with_a_warning(served, caplog):
    url, store, _, _ = served
    with caplog.at_level(logging.WARNING, logger="dashboard.bearer"):
        assert _post(url, LEGACY, "v-legacy").status_code == 201
    assert "api_tokens setting is deprecated" in caplog.text and LEGACY not in caplog.text
    assert store.audit_entries(action="deployment.record", limit=1)[0].actor == "api:old-ci"


def test_every_api_route_of_the_app_needs_a_token_with_its_scope(served):
    """Routes enumerated from the app's own URL map, so a new one cannot slip past."""
    import re

    from dashboard.api import SCOPES

    url, store, tokens, app = served
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api_v1.")]
    assert {r.endpoint for r in rules} == set(SCOPES)
    for rule in rules:
        path = re.sub(r"<[^>]+>", "checkout/availability", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            anonymous = requests.request(method, f"{url}{path}", timeout=30)
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            if SCOPES[rule.endpoint] is None:
                continue  # any valid token may: the OpenAPI document
            wrong = "gate" if SCOPES[rule.endpoint] != "gate:read" else "ci"
            scoped = requests.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {tokens[wrong]}"},
                                      timeout=30)
            assert scoped.status_code == 403 and "lacks scope" in scoped.json()["error"], (method, path)


def test_a_gate_decision_is_audited_with_who_asked(served):
    url, store, tokens, app = served
    response = requests.get(f"{url}/api/v1/gate", params={"service": "checkout"}, timeout=30,
                            headers={"Authorization": f"Bearer {tokens['gate']}"})
    assert response.status_code in (200, 423), response.text
    entry = store.audit_entries(action="gate.decision", limit=1)[0]
    assert entry.actor == "api:token:gate" and entry.payload["service"] == "checkout"
    assert entry.payload["allowed"] == response.json()["allowed"]
