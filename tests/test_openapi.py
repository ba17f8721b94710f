"""The OpenAPI document at ``/api/v1/openapi.json`` against the app's real routes: every
``/api/v1`` route of Flask's URL map is in it with the same methods and scope, every path
in it is a route, and a route added without its description fails the document."""

from __future__ import annotations

import dataclasses
import re

import flask
import jsonschema
import numpy as np
import pytest
import schemathesis
from pydantic import BaseModel, create_model

from dashboard.api import SCOPES
from dashboard.app import create_app
from dashboard.openapi import OPERATIONS, openapi_document
from dashboard.openapi_models import SloStatus, _fields_of
from sloboard.engine.policy import PageAlert
from sloboard.reads.status import AlertEntry, SLOEntry, slo_status
from tests.factories import make_slo
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


def _entry_with_firing_alerts():
    """A real status entry: 3 days of 60-s steps at 99.9 %, the last hour at 90 % (pages fire)."""
    at, step = 1_800_000_000, 60
    ts = np.arange(at - 3 * 86_400 + step, at + 1, step, dtype=np.int64)
    total = np.full(ts.size, 1000.0)
    good = np.where(ts > at - 3600, 900.0, 999.0)
    return slo_status(make_slo(), (ts, good, total, None), at, step)


def test_the_status_schemas_are_the_entries_fields_and_hold_what_to_dict_writes(served):
    app, tokens = served
    schemas = _document(app, tokens["status:read"])["components"]["schemas"]
    # Every field is required, so ``required`` lists them all, in the model's order (the served
    # JSON sorts the keys of ``properties``).
    expected = {
        "Alert": [f.name for f in dataclasses.fields(AlertEntry)],
        "SloStatus": ["id", "service", "team", "objective", "window"]
                     + [f.name for f in dataclasses.fields(SLOEntry) if f.name != "slo"] + ["at"],
        "GatePageAlert": [f.name for f in dataclasses.fields(PageAlert)],
    }
    for name, fields in expected.items():
        assert (schemas[name]["required"], sorted(schemas[name]["properties"])) == (fields, sorted(fields)), name

    entry = _entry_with_firing_alerts()
    assert any(a.firing for a in entry.alerts) and entry.sli is not None
    written = entry.to_dict() | {"at": "2027-01-15T08:00:00Z"}
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/SloStatus", "components": {"schemas": schemas}})
    assert list(validator.iter_errors(written)) == []
    assert SloStatus.model_validate(written).alerts[0].model_dump() == written["alerts"][0]


def test_a_field_added_to_a_dataclass_is_in_its_model_and_a_stale_name_fails():
    @dataclasses.dataclass(frozen=True)
    class Grown(AlertEntry):
        runbook: str | None = None

    model = create_model("Grown", __base__=BaseModel, **_fields_of(Grown, types={"severity": str}))
    assert list(model.model_json_schema()["properties"]) == [f.name for f in dataclasses.fields(AlertEntry)] + ["runbook"]
    with pytest.raises(TypeError, match="AlertEntry has no field severity_level: update openapi_models"):
        _fields_of(AlertEntry, types={"severity_level": str})
