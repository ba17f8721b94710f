"""Fuzz the live HTTP API from its own OpenAPI document (schemathesis): the real Flask app
over WSGI, a store with data, a token with every scope. Bounded: ``EXAMPLES`` valid and
as many invalid cases per operation, about 20 s in all. No answer may be a 5xx, carry a status the document does
not list for it, or break the schema it lists (the answer models forbid extra fields).
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dashboard.app import create_app
from sloboard import credentials
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store

from .browser import SPECS_DIR

pytestmark = pytest.mark.integration
EXAMPLES = 30
STEP = 60
TOKEN = credentials.new_token()
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(tmp_path, store_url):
    """On SQLite and on PostgreSQL, whose text cannot hold what SQLite's can (NUL)."""
    specs_dir = tmp_path / "specs"
    specs_dir.mkdir()
    for name in ("checkout.yaml", "search-sloth.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs_dir / name)
    data = tmp_path / "data"
    store = Store.open(store_url)
    store.sync_slos(load_specs([specs_dir]).slos)
    now = int(time.time()) // STEP * STEP
    ts = np.arange(now - 28 * 86_400, now + 3600, STEP, dtype=np.int64)
    total = np.full(ts.size, 1000.0)
    store.write_sli_samples("checkout/availability", ts, total - 2.0, total)  # over budget: the gate denies
    store.write_sli_samples("search/availability", ts, total - 1.0, total)
    store.add_token("fuzz", credentials.token_digest(TOKEN), credentials.SCOPES, now + 86_400, actor="test")
    app = create_app(Settings(data_dir=data, specs_dir=specs_dir), store=store)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app.server, headers=AUTH)
    store.close()


def test_no_answer_is_a_5xx_or_breaks_the_document(api_schema):
    """Valid data (positive) and invalid data (negative) for every operation. (Each one's
    strategy is driven by hypothesis here: schemathesis' own pytest loader,
    ``schemathesis.pytest.from_fixture``, does not run under pytest 9.)"""
    statuses: dict[str, dict[int, int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen = statuses.setdefault(f"{operation.label} ({mode.value})", {})

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call_and_validate(headers=AUTH, checks=CHECKS)
                seen[response.status_code] = seen.get(response.status_code, 0) + 1

            fuzz()
    print("statuses per operation:", statuses)
    # schemathesis leaves out the document's own route; tests/test_openapi.py covers it.
    assert {label.rsplit(" (", 1)[0] for label in statuses} == {
        "GET /api/v1/slos", "GET /api/v1/slos/{slo_id}/status", "POST /api/v1/deployments", "GET /api/v1/gate"}
    assert all(sum(seen.values()) >= 1 for seen in statuses.values()), statuses


NOW = {"service": "search", "version": "fuzz-v1", "status": "success", "started_at": "now-10m"}


@pytest.mark.parametrize("label, parts, status", [
    pytest.param("GET /api/v1/slos", {}, 200, id="the SLOs"),
    pytest.param("GET /api/v1/slos/{slo_id}/status", {"path_parameters": {"slo_id": "checkout/availability"}}, 200,
                 id="an SLO's status"),
    pytest.param("GET /api/v1/slos/{slo_id}/status",
                 {"path_parameters": {"slo_id": "checkout/latency"}, "query": {"at": "now-1h"}}, 200,
                 id="an SLO without data an hour ago"),
    pytest.param("GET /api/v1/gate", {"query": {"service": "checkout"}}, 423, id="a denial"),
    pytest.param("GET /api/v1/gate", {"query": {"service": "search"}}, 200, id="an allowance"),
    pytest.param("POST /api/v1/deployments", {"body": NOW}, 201, id="a new deployment"),
    pytest.param("POST /api/v1/deployments", {"body": {**NOW, "started_at": "2026-01-01T00:00:00Z"}}, 201,
                 id="another deployment"),
    pytest.param("POST /api/v1/deployments", {"body": {**NOW, "version": "v\x001"}}, 400,
                 id="a NUL in a text field is bad input, not a store failure (a 503 on PostgreSQL once)"),
])
def test_chosen_requests_get_their_status_and_keep_the_document(api_schema, label, parts, status):
    """What random data seldom reaches (a known service, a known SLO id, a NUL): each
    answer holds to its schema too."""
    method, path = label.split(" ")
    case = api_schema[path][method].Case(**parts)
    response = case.call_and_validate(headers=AUTH, checks=CHECKS)
    assert response.status_code == status, response.text[:300]
