"""Nothing a user types reaches PromQL or SQL as text.

- PromQL: the dashboard (every page and API route) never imports the Prometheus source
  or the PromQL builders, by an AST scan of its code and, transitively, by serving every
  page and API route in a fresh interpreter that then holds none of those modules.
- SQL: values that are SQL or PromQL when pasted into a query round-trip as data through
  the API, the pages, the bill importer and the users table, on SQLite and PostgreSQL,
  and every table is still there afterwards.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import sqlalchemy as sa

from collectors.cost_csv import import_bill, read_bill
from dashboard.app import create_app
from sloboard import credentials
from sloboard.specs import load_specs
from sloboard.store import Store, models
from tests.integration.sloboard_cli import DEMO_SPECS

ROOT = Path(__file__).resolve().parents[2]
# Where PromQL is built or sent: the collector's side, never the dashboard's.
PROMQL_MODULES = ("collectors",)
PROMQL_BUILDERS = {f"collectors.{name}" for name in ("prometheus", "promql", "queries", "source", "targets",
                                                      "collect", "indicator_queries", "rules")}
PROMQL_NAMES = {"PrometheusSource", "prometheus_source", "query_range", "exact_rates", "fill"}
SQL = "x'; DROP TABLE deployments; --"
PROMQL = '{__name__=~".+"}'
QUOTES = 'a"); DELETE FROM audit_log; --\\'
TOKEN = "inject-" + "t" * 40


def _imports(tree: ast.AST, package: str) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            out |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return out


def test_the_dashboard_code_imports_no_prometheus_source_or_promql_builder():
    files = sorted((ROOT / "dashboard").rglob("*.py"))
    assert len(files) > 20
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for module in _imports(tree, package):
            if module.split(".")[0] in PROMQL_MODULES:
                found.append(f"{path.relative_to(ROOT)}: imports {module}")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        found += [f"{path.relative_to(ROOT)}: uses {name}" for name in sorted(names & PROMQL_NAMES)]
    assert found == []


# Every GET route, and every page loaded as a browser loads it (layout and load callbacks)
# by an admin logged in through the form.
SERVE_EVERYTHING = """
import json, re, sys, dash
from bench.dashboard import load_page
from dashboard.app import create_app
from sloboard import credentials
from sloboard.settings import Settings
app = create_app(Settings(data_dir=sys.argv[1], specs_dir=sys.argv[2]), clock=lambda: 1.8e9)
app.server.extensions["sloboard"].store.add_user("root", "admin", credentials.hash_password("pw of the test 1"),
                                                 actor="test")
client = app.server.test_client()
token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
assert client.post("/login", data={"user": "root", "password": "pw of the test 1", "csrf_token": token}).status_code == 302
statuses = {}
for rule in app.server.url_map.iter_rules():
    if "GET" in rule.methods and "<" not in rule.rule:
        statuses[rule.rule] = client.get(rule.rule, headers={"Authorization": "Bearer x"}).status_code
get = lambda path: (lambda r: (r.status_code, r.data))(client.get(path))
post = lambda path, body: (lambda r: (r.status_code, r.data))(client.post(path, json=body))
for page in dash.page_registry.values():
    load_page(get, post, page["path"] + "?q=" + sys.argv[3])  # raises on any answer but 200/204
    statuses[page["path"]] = 200
statuses["gate"] = client.get("/api/v1/gate?service=" + sys.argv[3]).status_code
loaded = sorted(m for m in sys.modules if m.startswith("collectors."))
print(json.dumps({"statuses": statuses, "loaded": loaded}))
"""


def test_serving_every_route_loads_no_prometheus_source_or_promql_builder(tmp_path):
    done = subprocess.run([sys.executable, "-c", SERVE_EVERYTHING, str(tmp_path), str(DEMO_SPECS), quote(PROMQL)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(answer["statuses"]) > 10 and all(code < 500 for code in answer["statuses"].values()), answer
    # (The replay itself, bench.dashboard, loads the synthetic fleet; it builds no PromQL.)
    builders = {m for m in answer["loaded"] if m in PROMQL_BUILDERS or m.startswith("collectors.rules")}
    assert builders == set(), answer["loaded"]


@pytest.fixture
def app_on(store_url, tmp_path):
    store = Store.open(store_url, clock=lambda: 1.8e9)
    store.sync_slos(load_specs([DEMO_SPECS]).slos)
    store.add_token("ci", credentials.token_digest(TOKEN), ("deploy:write", "gate:read", "status:read"), 2e9,
                    actor="test")
    from sloboard.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, specs_dir=DEMO_SPECS, database_url=store_url), store=store,
                     clock=lambda: 1.8e9)
    yield app.server.test_client(), store, store_url
    store.close()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sql_and_promql_typed_by_users_round_trip_as_data(app_on, tmp_path):
    client, store, url = app_on
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = _tables(url)
    assert {"deployments", "audit_log", "users"} <= before

    for service, version, commit in ((SQL, PROMQL, QUOTES), (PROMQL, SQL, SQL)):
        answer = client.post("/api/v1/deployments", headers=auth,
                             json={"service": service, "version": version, "status": "failed", "commit": commit,
                                   "started_at": "2026-12-01T00:00:00Z"})
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["service"] == service
    stored = {(d.service, d.version, d.commit) for d in store.deployments()}
    assert stored == {(SQL, PROMQL, QUOTES), (PROMQL, SQL, SQL)}
    assert [d.version for d in store.deployments(service=SQL)] == [PROMQL]

    for text in (SQL, PROMQL, QUOTES):
        gate = client.get(f"/api/v1/gate?service={quote(text)}", headers=auth)
        assert gate.status_code == 404 and text in gate.get_json()["error"]  # named as data, unknown
        status = client.get(f"/api/v1/slos/{quote(text, safe='')}", headers=auth)
        assert status.status_code == 404 and status.is_json
        for path in (f"/service/{quote(text, safe='')}", f"/?q={quote(text)}&service={quote(text)}"):
            assert client.get(path).status_code == 200

    bill = tmp_path / "bill.csv"
    bill.write_text(f'date,service,usd\n2026-05-01,"{SQL}",12.5\n2026-05-01,"{PROMQL.replace(chr(34), 2 * chr(34))}",1\n')
    import_bill(store, read_bill(bill))
    assert {scope for scope, name in store.series_keys("cost") if name == "bill"} == {f"service:{SQL}",
                                                                                       f"service:{PROMQL}"}
    _ts, usd = store.read_series_many("cost", [(f"service:{SQL}", "bill")], 0, 2**40)[(f"service:{SQL}", "bill")]
    assert np.array_equal(usd, [12.5])

    store.add_user(SQL, "viewer", credentials.hash_password("a long passphrase 1"), actor="test")
    user, _hash = store.password_hash(SQL)
    assert user.name == SQL and store.password_hash(PROMQL) is None

    assert _tables(url) == before
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(models.deployments)).scalar() == 2
    finally:
        engine.dispose()
    ok, _ = store.verify_audit()
    assert ok, "the audit chain broke"
