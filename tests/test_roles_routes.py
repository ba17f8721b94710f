"""Every page, Dash callback and Flask view of the app, asked by a viewer, an editor and an
admin: each answers by the role it is registered with (``register_page(..., role=...)``,
``callback_requires``, ``require_role``), 403 below it, and a page's own layout says "not
allowed" instead of showing data. The routes come from the app itself (Dash's page registry,
its callback map and Flask's URL map), so no new one slips past."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dash
import pytest

from dashboard.app import create_app
from sloboard import credentials
from sloboard.settings import Settings
from sloboard.store import Store

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"
ROLES = ("viewer", "editor", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
PASSWORD = "a long enough password 9"
CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("roles")
    specs = data / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS / name, specs / name)
    store = Store.open(f"sqlite:///{data / 'roles.db'}")
    for role in ROLES:
        store.add_user(role, role, credentials.hash_password(PASSWORD), actor="test")
    store.append_audit("test", "note", {"target": "marker:audit-page-data"})
    app = create_app(Settings(data_dir=data, specs_dir=specs, auth={"anonymous_role": None}), store=store)
    yield app
    store.close()


def _client(app, role):
    client = app.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"user": role, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def clients(app):
    return {role: _client(app, role) for role in ROLES}


def _allowed(role: str, needed: str | None) -> bool:
    return needed is None or RANK[role] >= RANK[needed]


def _page_path(page) -> str:
    return re.sub(r"<[^>]+>", "x", page.get("path_template") or page["path"])


def _router(app):
    (key,) = [k for k in app.callback_map if "_pages_content.children" in k]
    return key


def _render(client, app, path: str):
    """The page content Dash's router callback renders for ``path``, as a navigation in the app does."""
    body = {"output": _router(app), "outputs": [{"id": "_pages_content", "property": "children"},
                                                {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    return client.post(CALLBACK, json=body)


def test_every_page_answers_each_role_by_its_registered_role(app, clients):
    pages = list(dash.page_registry.values())
    assert any(p.get("role") == "admin" and p["path"] == "/audit" for p in pages)
    for client in clients.values():
        client.get("/")  # Dash wires its page router on the first request
    for page in pages:
        path, needed = _page_path(page), page.get("role")
        for role, client in clients.items():
            allowed = _allowed(role, needed)
            got = client.get(path)
            assert got.status_code == (200 if allowed else 403), (role, path, got.status_code)
            rendered = _render(client, app, path)
            assert rendered.status_code == 200, (role, path, rendered.get_data(as_text=True)[:300])
            text = rendered.get_data(as_text=True)
            assert ('"not-allowed"' in text) is (not allowed), (role, path)
            assert "marker:audit-page-data" not in text  # no page lays out audit entries itself


def _expected_callback_role(app, key: str) -> str | None:
    fn = app.callback_map[key]["callback"]
    page_role = next((p.get("role") for p in dash.page_registry.values() if p["module"] == fn.__module__), None)
    found = [r for r in (page_role, getattr(fn, "required_role", None)) if r]
    return max(found, key=RANK.__getitem__) if found else None


def _outputs(key: str) -> list[dict]:
    """The outputs of a callback_map key: ``id.prop`` or ``..id.prop...id.prop..``."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in parts]


def _post_callback(client, app, key: str):
    entry = app.callback_map[key]
    inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in entry["inputs"]]
    state = [{"id": s["id"], "property": s["property"], "value": None} for s in entry["state"]]
    return client.post(CALLBACK, json={"output": key, "outputs": _outputs(key), "inputs": inputs, "state": state,
                                       "changedPropIds": []})


def test_every_callback_answers_each_role_by_its_required_role(app, clients):
    served = [k for k, entry in app.callback_map.items() if "callback" in entry]  # clientside ones never POST
    guarded = {k: r for k in served if (r := _expected_callback_role(app, k))}
    assert set(guarded.values()) == {"admin", "editor"} and any("audit-entries" in k for k in guarded)
    assert any("report-action-result" in k for k, role in guarded.items() if role == "editor")
    for key in served:
        needed = guarded.get(key)
        for role, client in clients.items():
            answer = _post_callback(client, app, key)
            if _allowed(role, needed):
                assert answer.status_code != 403, (role, key)
            else:
                assert answer.status_code == 403, (role, key, answer.status_code)
                assert answer.get_data(as_text=True) == f"not allowed: this needs the {needed} role (you are {role})\n"


def test_every_flask_view_with_a_role_refuses_the_roles_below_it(app, clients):
    for rule in app.server.url_map.iter_rules():
        needed = getattr(app.server.view_functions[rule.endpoint], "required_role", None)
        if needed is None or "GET" not in rule.methods:
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for role, client in clients.items():
            status = client.get(path).status_code
            assert (status == 403) is (not _allowed(role, needed)), (role, path, status)


def test_the_admin_gets_audit_entries_and_the_others_nothing(app, clients):
    key = next(k for k in app.callback_map if "audit-entries" in k)
    entry = app.callback_map[key]
    inputs = [{"id": i["id"], "property": i["property"], "value": "marker:" if i["id"] == "audit-target" else None}
              for i in entry["inputs"]]
    body = {"output": key, "outputs": _outputs(key), "inputs": inputs, "changedPropIds": ["audit-target.value"],
            "state": [{"id": "audit-page", "property": "data", "value": 1}]}
    for role, client in clients.items():
        answer = client.post(CALLBACK, json=body)
        text = answer.get_data(as_text=True)
        if role == "admin":
            assert answer.status_code == 200 and "marker:audit-page-data" in text and "1 matching entries" in text
        else:
            assert answer.status_code == 403 and "marker:audit-page-data" not in text


def test_only_an_admin_sees_the_audit_link(clients):
    for role, client in clients.items():
        layout = client.get("/_dash-layout").get_data(as_text=True)
        assert ('"nav-audit"' in layout) is (role == "admin"), role
