"""The OpenAPI document at ``/api/v1/openapi.json`` against the app's real routes: every
``/api/v1`` route of Flask's URL map is in it with the same methods and scope, every path
in it is a route, and a route added without its description fails the document."""

from __future__ import annotations

import re

import flask
import jsonschema
import pytest
import schemathesis

from dashboard.api import SCOPES
from dashboard.app import create_app
from dashboard.openapi import OPERATIONS, openapi_document
from sloboard import credentials
from sloboard.settings import Settings
from sloboard.store import Store
from tests.test_cli import ROOT


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("openapi")
    store = Store.open(f"sqlite:///{data / 'sloboard.db'}")
    tokens = {}
    for scope in credentials.SCOPES:
        tokens[scope] = credentials.new_token()
        store.add_token(scope.replace(":", "-"), credentials.token_digest(tokens[scope]), (scope,), 4e9, actor="test")
    app = create_app(Settings(data_dir=data, specs_dir=ROOT / "slo_specs"), store=store).server
    yield app, tokens
    store.close()


def _document(app, token):
    response = app.test_client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def test_every_api_route_is_documented_with_its_methods_and_scope_and_nothing_else(served):
    app, tokens = served
    doc = _document(app, tokens["status:read"])
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes[(path, method.lower())] = SCOPES[rule.endpoint]
    documented = {(path, method): op["security"] for path, ops in doc["paths"].items() for method, op in ops.items()}
    assert set(documented) == set(routes)
    assert len(routes) >= 5  # slos, one status, deployments, gate, this document
    for key, scope in routes.items():
        assert documented[key] == [{"bearerAuth": [] if scope is None else [scope]}], key
    assert set(OPERATIONS) == {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api_v1.")}


@pytest.mark.parametrize("scope", sorted(credentials.SCOPES))
def test_any_valid_token_reads_the_document_and_none_is_401(served, scope):
    app, tokens = served
    assert _document(app, tokens[scope])["openapi"] == "3.1.0"
    anonymous = app.test_client().get("/api/v1/openapi.json")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.get_json()["error"]


def test_the_document_is_openapi_with_valid_json_schemas_and_bearer_auth(served):
    app, tokens = served
    doc = _document(app, tokens["gate:read"])
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    gate = doc["paths"]["/api/v1/gate"]["get"]
    assert {"200", "423", "400", "401", "403", "404", "503"} == set(gate["responses"])
    assert [(p["name"], p["in"], p["required"]) for p in gate["parameters"]] == [("service", "query", True)]
    body = doc["paths"]["/api/v1/deployments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/DeploymentIn"}
    assert set(doc["components"]["schemas"]["DeploymentIn"]["required"]) == {"service", "version", "status"}
    loaded = schemathesis.openapi.from_dict(doc)
    assert sorted(op.ok().label for op in loaded.get_all_operations()) == sorted(
        f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops)


def test_a_route_without_its_description_fails_the_document():
    app = flask.Flask(__name__)
    bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/undocumented", "undocumented", lambda: "")
    app.register_blueprint(bp)
    with pytest.raises(LookupError, match=r"route /api/v1/undocumented \(api_v1.undocumented\) has no entry"):
        openapi_document(app, {"api_v1.undocumented": None})
