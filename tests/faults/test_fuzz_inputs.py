"""Bad input, fuzzed with hypothesis (1,000 cases each): a clear error of ours, never a
traceback or a 500.

- spec YAML through the spec loader: problems naming the file and line, no exception;
- deployment payloads through ``POST /api/v1/deployments`` with a deploy:write token: 2xx
  or a 4xx with a JSON error, never a 500;
- cost CSV through the bill importer: the rows, or an InputError naming the file;
- every page's URL parameters through Dash's page router (the page's real ``layout``) and
  the page route itself: 200, no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from collections import Counter
from urllib.parse import quote, urlencode

import dash
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.dashboard import flask_client
from collectors.cost_csv import SCOPE_COLUMNS, read_bill
from dashboard.app import create_app
from dashboard.components.filters import CUSTOM, RANGES, REFRESH, SHARED
from dashboard.deployment_body import CLI_NAMES, field_names
from sloboard import credentials
from sloboard.domain import DeployStatus
from sloboard.errors import InputError
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.integration.scrapes import availability_spec

from .demo_site import END, seed_demo

CASES = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text that breaks parsers: quotes, YAML and CSV syntax, control characters, NUL, non-ASCII.
NASTY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["", " ", "\x00", "'", '"', ": ", "- ", "{", "[", "&a", "*a", "!!python/object:os.system", "%", "\\", "\n",
     "1e309", "-1", "NaN", "2026-13-45", "now-5m", "99999999999999999999", "\ufeff", "ü", "x'; DROP TABLE x; --"])


def _report(figure, label: str, seen: Counter, must_see: str | None) -> None:
    figure(label, dict(sorted(seen.items())))
    assert sum(seen.values()) >= 1000, f"only {sum(seen.values())} cases ran"
    if must_see is not None:
        assert seen[must_see] > 0, f"no case was {must_see}: {seen}"


# --- spec YAML -------------------------------------------------------------------------

VALID_SPEC = availability_spec("checkout", 'service="checkout"', "28d", 0.999)


@st.composite
def spec_texts(draw) -> str:
    """A valid spec with a span replaced by nasty text, or lines dropped or repeated, or nonsense."""
    kind = draw(st.sampled_from(["splice", "lines", "raw"]))
    if kind == "raw":
        return draw(NASTY)
    if kind == "splice":
        start = draw(st.integers(0, len(VALID_SPEC)))
        end = draw(st.integers(start, min(len(VALID_SPEC), start + 40)))
        return VALID_SPEC[:start] + draw(NASTY) + VALID_SPEC[end:]
    lines = VALID_SPEC.splitlines()
    picked = draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=len(lines) + 5))
    return "\n".join(lines[i] for i in picked) + "\n"


def test_fuzzed_spec_yaml_gives_problems_with_file_and_line_never_an_exception(tmp_path, figure):
    seen = Counter()

    @CASES
    @given(text=spec_texts())
    def case(text):
        path = tmp_path / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = load_specs([path])  # any exception fails the test
        for problem in result.problems:
            assert problem.path == str(path) and problem.line >= 0 and problem.message.strip()
            assert "Traceback" not in problem.message
        assert result.ok == all(p.severity == "warning" for p in result.problems)
        seen["loaded" if result.ok and result.slos else "refused with problems" if not result.ok else "empty"] += 1

    case()
    _report(figure, "spec YAML cases", seen, "refused with problems")


# --- deployment payloads ---------------------------------------------------------------

TOKEN = "fuzz-" + "d" * 40
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | NASTY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NASTY, inner, max_size=3), max_leaves=8)
field_values = {
    "service": st.sampled_from(["checkout", "search", "unknown-svc"]) | NASTY,
    "version": st.text(string.printable, max_size=12) | NASTY,
    "status": st.sampled_from([s.value for s in DeployStatus] + ["success", "rollback", "failure"]) | NASTY,
    "commit": st.text(string.hexdigits, max_size=40) | NASTY,
}
TIME_FIELDS = {*CLI_NAMES, *CLI_NAMES.values()}
time_values = (st.sampled_from(["now", "now-5m", "2026-01-01T00:00:00Z", "2026-06-01"]) | st.integers(-2**63, 2**63)
               | st.floats() | NASTY)


@st.composite
def deployment_bodies(draw) -> bytes:
    """Mostly a valid deployment with up to three changes (a field set to an odd value or
    another type, a field dropped, an unknown key), sometimes any JSON or bytes."""
    kind = draw(st.sampled_from(["object", "object", "object", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    body = {"service": "checkout", "version": f"v{draw(st.integers(0, 10**6))}", "status": "succeeded"}
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(field_names()))
        change = draw(st.sampled_from(["set", "set", "drop", "unknown"]))
        if change == "drop":
            body.pop(name, None)
        elif change == "unknown":
            body[draw(NASTY)] = draw(json_values)
        else:
            strategy = field_values.get(name, time_values if name in TIME_FIELDS else json_values)
            body[name] = draw(strategy | json_values) if draw(st.booleans()) else draw(strategy)
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def api_client(tmp_path_factory):
    site = seed_demo(tmp_path_factory.mktemp("api"), days=1)
    store = Store.open(site.db_url, clock=lambda: float(END))
    store.add_token("fuzz", credentials.token_digest(TOKEN), ("deploy:write",), END + 86_400.0, actor="test")
    app = create_app(site.settings(), store=store, clock=lambda: float(END))
    yield app.server.test_client()
    store.close()


def test_fuzzed_deployment_payloads_get_a_json_4xx_or_are_recorded_never_a_500(api_client, figure):
    seen = Counter()

    @CASES
    @given(body=deployment_bodies())
    def case(body):
        answer = api_client.post("/api/v1/deployments", data=body, content_type="application/json",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code < 500, (answer.status_code, answer.data[:300])
        assert answer.is_json, answer.data[:300]
        if answer.status_code >= 400:
            error = answer.get_json()["error"]
            assert isinstance(error, str) and error and "Traceback" not in error
        else:
            assert answer.status_code in (200, 201) and answer.get_json()["service"]
        seen[f"HTTP {answer.status_code}"] += 1

    case()
    _report(figure, "deployment payload cases", seen, "HTTP 400")
    assert seen["HTTP 201"] > 0, "no fuzzed payload was valid: the fuzz never reached the store"


# --- cost CSV ---------------------------------------------------------------------------

COLUMNS = ["date", "usd", "cost", *SCOPE_COLUMNS, "Date", " USD ", "extra"]
cells = (st.sampled_from(["2026-05-01", "2026-05-01T10:00:00Z", "2026-05-01T10:00:00+02:00", "12.5", "0", "-3",
                          "inf", "nan", "checkout", "team-a", "ns-prod"]) | NASTY)


@st.composite
def bills(draw) -> str:
    """A valid bill (date, a scope column, usd) with odd columns, cells or bytes mixed in."""
    scope = draw(st.sampled_from(SCOPE_COLUMNS))
    header = ["date", scope, draw(st.sampled_from(["usd", "cost", "USD"]))]
    rows = [[f"2026-05-{day:02d}", draw(st.sampled_from(["checkout", "search", "ns-prod"])),
             str(draw(st.floats(0, 1e6, allow_nan=False)))] for day in draw(st.lists(st.integers(1, 31), max_size=6))]
    for _ in range(draw(st.integers(0, 3))):
        change = draw(st.sampled_from(["header", "cell", "row"]))
        if change == "header":
            header[draw(st.integers(0, 2))] = draw(st.sampled_from(COLUMNS) | NASTY)
        elif change == "cell" and rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if row:
                row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        elif change == "row":
            rows.append(draw(st.lists(cells, max_size=5)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.integers(0, 4)) == 0:  # or break the CSV itself
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(NASTY) + text[at:]
    return text


def test_fuzzed_cost_csv_is_imported_or_refused_with_an_input_error_naming_the_file(tmp_path, figure):
    seen = Counter()

    @CASES
    @given(text=bills())
    def case(text):
        path = tmp_path / "bill.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            rows = read_bill(path)
        except InputError as exc:
            assert str(path) in str(exc) and "Traceback" not in str(exc)
            seen["refused (InputError)"] += 1
            return
        assert rows.amounts and all(scope.split(":", 1)[0] in SCOPE_COLUMNS for scope, _ in rows.amounts)
        seen["read"] += 1

    case()
    _report(figure, "cost CSV cases", seen, "refused (InputError)")
    assert seen["read"] > 0, "no fuzzed bill was valid"


# --- URL parameters of every page ---------------------------------------------------------

PASSWORD = "fuzz the pages 42"
ROUTER = ".._pages_content.children..._pages_store.data.."
query_values = (st.sampled_from([*RANGES, CUSTOM, *REFRESH, "checkout", "team-payments", "2026-05-01", "2026-02-30"])
                | NASTY)


def page_paths() -> list[str]:
    """Every registered page, with real and odd values for its path variables."""
    paths = []
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template is None:
            paths.append(page["path"])
        else:
            variable = template[template.index("<"):]
            paths += [template.replace(variable, quote(v, safe="")) for v in ("checkout/availability", "checkout", "nope", "%", "..")]
    return paths


@st.composite
def page_queries(draw, paths: list[str]) -> tuple[str, str]:
    path = draw(st.sampled_from(paths))
    names = st.sampled_from([*SHARED, "q", "start", "end"]) | NASTY
    query = draw(st.dictionaries(names, query_values, max_size=6))
    search = "?" + urlencode(query) if query else ""
    if draw(st.integers(0, 4)) == 0:  # and the odd raw query string nobody encoded
        search = "?" + draw(NASTY)
    return path, search


@pytest.fixture(scope="module")
def page_client(tmp_path_factory):
    """A client logged in through the login form as an admin, who may open every page."""
    site = seed_demo(tmp_path_factory.mktemp("pages"), days=1)
    with Store.open(site.db_url) as store:
        store.add_user("root", "admin", credentials.hash_password(PASSWORD), actor="test")
    app = create_app(site.settings(), clock=lambda: float(END))
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"user": "root", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.data[:300]
    return client, page_paths()


def test_page_paths_cover_every_registered_page(page_client):
    _, paths = page_client
    assert {"/", "/deployments", "/cost", "/collection", "/reports", "/audit"} <= set(paths)
    assert any(p.startswith("/slo/") for p in paths) and any(p.startswith("/service/") for p in paths)


def test_fuzzed_url_parameters_of_every_page_render_without_a_500_or_a_traceback(page_client, figure):
    client, paths = page_client
    seen = Counter()

    @CASES
    @given(case=page_queries(paths))
    def case(case):
        path, search = case
        page = client.get(path + search)
        assert page.status_code == 200, (path, search, page.status_code)
        body = {"output": ROUTER, "changedPropIds": ["_pages_location.pathname"], "state": [],
                "outputs": [{"id": "_pages_content", "property": "children"},
                            {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                           {"id": "_pages_location", "property": "search", "value": search}]}
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, (path, search, answer.status_code, answer.data[:300])
        assert b"Traceback" not in answer.data
        assert answer.get_json()["response"]["_pages_content"]["children"], (path, search)
        seen[path.split("/")[1] or "overview"] += 1

    case()
    _report(figure, "URL parameter cases per page", seen, None)
    assert {"overview", "deployments", "cost", "collection", "reports", "audit", "slo", "service"} <= set(seen)
