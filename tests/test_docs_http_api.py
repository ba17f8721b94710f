"""docs/http-api.md is generated from the OpenAPI document and matches it, and that document
is the one a running app serves at /api/v1/openapi.json."""

from __future__ import annotations

from dashboard import api_reference
from dashboard.app import create_app
from sloboard import credentials
from sloboard.settings import Settings
from sloboard.store import Store
from tests.test_cli import ROOT


def test_the_http_api_reference_is_up_to_date(capsys):
    assert api_reference.main(["--check"]) == 0, capsys.readouterr().err


def test_the_reference_is_built_from_the_document_the_app_serves(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'sloboard.db'}")
    try:
        token = credentials.new_token()
        store.add_token("docs", credentials.token_digest(token), ("status:read",), 4e9, actor="test")
        app = create_app(Settings(data_dir=tmp_path, specs_dir=ROOT / "slo_specs"), store=store).server
        served = app.test_client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    finally:
        store.close()
    assert served.status_code == 200
    assert served.get_json() == api_reference.document()


def test_every_route_status_and_schema_has_its_place_in_the_reference():
    doc = api_reference.document()
    text = (ROOT / "docs" / "http-api.md").read_text(encoding="utf-8")
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            section = text.split(f"## `{method.upper()} {path}`\n", 1)[1].split("\n## ", 1)[0]
            for status in op["responses"]:
                assert f"\n| {status} | " in section, f"{method.upper()} {path}: status {status} is not listed"
    for name, schema in doc["components"]["schemas"].items():
        section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        for field in schema.get("properties", {}):
            assert f"| `{field}` |" in section, f"schema {name}: field {field} is not listed"


def test_types_read_as_words():
    assert api_reference.type_of({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert api_reference.type_of({"type": "array", "items": {"$ref": "#/components/schemas/GateSlo"}}) == (
        "list of [GateSlo](#gateslo)")
    assert api_reference.type_of({"enum": ["page", "ticket"]}) == "`page` \\| `ticket`"
