"""``GET /api/v1/gate`` on the real Flask app (WSGI): the same answer as ``sloboard gate``,
an override in the answer and in the audit log, stale data and a store that cannot be
reached (a real PostgreSQL URL with nothing listening) failing closed, or open when set.

The fleet and its numbers are ``tests/test_gate_cli.py``'s.
"""

from __future__ import annotations

import json
import time

import pytest

from dashboard.app import create_app
from sloboard import credentials
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.test_gate_cli import STEP, closed_port, gate, seed, write_specs

LEGACY = "legacy-gate-token-0123456789abcdef"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    home = tmp_path_factory.mktemp("gate-http")
    write_specs(home / "specs", ["frozen", "stale"])
    now = int(time.time()) // STEP * STEP
    store = Store.open(f"sqlite:///{home / 'var' / 'sloboard.db'}")
    store.sync_slos(load_specs([home / "specs"]).slos)
    seed(store, "frozen", now, ends=now + 900)
    seed(store, "stale", now, ends=now - 3600)
    token = credentials.new_token()
    store.add_token("ci-gate", credentials.token_digest(token), ("gate:read",), now + 86_400, actor="test")
    yield home, store, token
    store.close()


def client(home, store, **gate_settings):
    settings = Settings(data_dir=home / "var", specs_dir=home / "specs", api_tokens={"gate-http-legacy": LEGACY},
                        gate=gate_settings)
    return create_app(settings, store=store).server.test_client()


def ask(http, service: str, token: str):
    response = http.get("/api/v1/gate", query_string={"service": service},
                        headers={"Authorization": f"Bearer {token}"})
    assert response.content_type == "application/json", response.data[:300]
    return response.status_code, response.get_json()


def test_the_http_gate_answers_as_the_cli_does_and_is_audited(fleet):
    home, store, token = fleet
    status, answer = ask(client(home, store), "frozen", token)
    cli = json.loads(gate(home, "frozen", "--json").stdout)
    assert status == 423 and answer["allow"] is False
    assert {k: v for k, v in answer.items() if k != "at"} == {k: v for k, v in cli.items() if k != "at"}
    entry = store.audit_entries(action="gate.decision", limit=2)
    assert [e.actor.split(":")[0] for e in entry] == ["cli", "api"]
    assert entry[1].actor == "api:token:ci-gate" and entry[1].payload["reasons"] == answer["reasons"]


def test_an_override_is_in_the_answer_and_the_audit_log(fleet):
    home, store, token = fleet
    override = store.add_gate_override("frozen", "release train 42", time.time() + 3600, actor="cli:ana")
    try:
        status, answer = ask(client(home, store), "frozen", token)
    finally:
        store.revoke_gate_overrides("frozen", actor="cli:ana")
    assert status == 200 and answer["allow"] is True and answer["override"]["id"] == override.id
    assert answer["reasons"][0].startswith("override by cli:ana until ") and answer["reasons"][0].endswith(
        ": release train 42")
    assert store.audit_entries(action="gate.decision", limit=1)[0].payload["override"] == override.id


@pytest.mark.parametrize("fail_open, status, mode", [
    pytest.param(False, 423, "fail-closed", id="stale data fails closed by default"),
    pytest.param(True, 200, "fail-open", id="and open with gate.fail_open"),
])
def test_stale_data_over_http(fleet, fail_open, status, mode):
    home, store, token = fleet
    got, answer = ask(client(home, store, fail_open=fail_open), "stale", token)
    assert (got, answer["fail_mode"]) == (status, mode)
    assert answer["reasons"][0].startswith(f"stale/availability: {mode}: data stale since ")


@pytest.fixture
def unreachable_store():
    store = Store.open(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test", upgrade=False,
                       connect_timeout_s=2)
    yield store
    store.close()


@pytest.mark.parametrize("fail_open, status, mode", [
    pytest.param(False, 423, "fail-closed", id="an unreachable store fails closed by default"),
    pytest.param(True, 200, "fail-open", id="and open with gate.fail_open"),
])
def test_an_unreachable_store_over_http(fleet, unreachable_store, fail_open, status, mode):
    home, _, _ = fleet
    got, answer = ask(client(home, unreachable_store, fail_open=fail_open), "frozen", LEGACY)
    assert (got, answer["allow"], answer["fail_mode"], answer["slos"]) == (status, fail_open, mode, [])
    assert answer["reasons"][0].startswith(f"{mode}: store unreachable (") and "127.0.0.1" in answer["reasons"][0]


def test_a_store_token_cannot_be_checked_without_the_store_so_the_gate_denies(fleet, unreachable_store):
    home, _, token = fleet
    got, answer = ask(client(home, unreachable_store, fail_open=True), "frozen", token)
    assert (got, answer["allow"], answer["fail_mode"]) == (503, False, "fail-closed")
    assert answer["reasons"][0].endswith("the bearer token cannot be checked without it")
