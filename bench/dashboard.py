"""Dashboard: server-side time to build the overview page and run its initial callbacks.

The app (``dashboard.app.create_app``) runs over the standard fleet with its clock
pinned to the fleet's end, behind Flask's test client: no browser, no network. What a
browser's first visit of ``/`` costs the server is replayed the way the Dash renderer
does it: ``GET /`` and ``/_dash-layout``, then every callback that fires on load
(``prevent_initial_call`` false, or an input set by a ``Location`` on mount; not
clientside) whose inputs exist, in rounds, each
round's new components (outputs named ``children``) feeding the next, through
``POST /_dash-update-component``. Pattern-matching ``ALL`` inputs get every matching
component; callbacks with other wildcards are not fired.

Baseline: ``status_report`` in-process over the same store and SLOs, the numbers the
overview shows; the ratio is the cost of the page around them. There is no target in
the issue for this figure.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator

import requests

from .fleet import SIZES, build
from .report import Result, not_run
from .timing import best_of, fmt_s

ROUNDS_LIMIT = 10
PATH = "/"
LOCATION_PROPS = ("pathname", "search", "href", "hash")


def _key(component_id: Any) -> str:
    return json.dumps(component_id, sort_keys=True) if isinstance(component_id, dict) else str(component_id)


def _walk(node: Any) -> Iterator[dict]:
    """Every component (``{"type", "namespace", "props"}``) in a layout tree."""
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        yield node
        for value in node["props"].values():
            yield from _walk(value)


class Page:
    """The components a browser would hold, by id, with their current props."""

    def __init__(self, layout: dict):
        self.props: dict[str, dict] = {}
        self.ids: dict[str, Any] = {}
        self.locations: set[str] = set()
        self.add(layout)

    def add(self, tree: Any) -> None:
        for component in _walk(tree):
            props = component["props"]
            if "id" in props:
                key = _key(props["id"])
                self.ids[key] = props["id"]
                self.props[key] = dict(props)
                if component["type"] == "Location":  # it sets these from the address bar on mount
                    self.locations.add(key)
                    self.props[key].update(pathname=PATH, search="", href=f"http://localhost{PATH}", hash="")

    def set_by_location(self, dep: dict) -> bool:
        """True if an input is a Location's address prop: its change on mount fires the callback
        even when ``prevent_initial_call`` is set (that is how Dash pages render the first page)."""
        return any(i["id"] in self.locations and i["property"] in LOCATION_PROPS for i in dep["inputs"])

    def matches(self, pattern: dict) -> list[str]:
        """Keys of components whose dict id matches ``pattern`` (``["ALL"]`` matches any value)."""
        out = []
        for key, cid in self.ids.items():
            if isinstance(cid, dict) and cid.keys() == pattern.keys() and all(
                v == ["ALL"] or cid[k] == v for k, v in pattern.items()
            ):
                out.append(key)
        return out

    def resolve(self, dep: dict) -> Any | None:
        """The callback argument for one input/state: a value, a list for ALL, None if absent."""
        raw = dep["id"]
        pattern = json.loads(raw) if raw.startswith("{") else None
        if pattern is not None and any(isinstance(v, list) for v in pattern.values()):
            if any(isinstance(v, list) and v != ["ALL"] for v in pattern.values()):
                return None  # MATCH / ALLSMALLER are not replayed
            return [{"id": self.ids[k], "property": dep["property"], "value": self.props[k].get(dep["property"])}
                    for k in self.matches(pattern)]
        key = _key(pattern) if pattern is not None else raw
        if key not in self.props:
            return None
        return {"id": self.ids[key], "property": dep["property"], "value": self.props[key].get(dep["property"])}


def _outputs(output: str) -> list[dict]:
    """``..a.children...b.data..`` or ``a.children`` -> [{"id", "property"}]; dict ids are JSON."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        out.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop.split("@")[0]})
    return out


Answer = tuple[int, bytes]  # HTTP status, body


def flask_client(app) -> tuple[Callable[[str], Answer], Callable[[str, dict], Answer]]:
    """GET and POST through Flask's test client: no server, no network."""
    client = app.server.test_client()

    def get(path: str) -> Answer:
        answer = client.get(path)
        return answer.status_code, answer.data

    def post(path: str, body: dict) -> Answer:
        answer = client.post(path, json=body)
        return answer.status_code, answer.data

    return get, post


def http_client(base_url: str) -> tuple[Callable[[str], Answer], Callable[[str, dict], Answer]]:
    """GET and POST over HTTP to a running dashboard (loopback only)."""
    session = requests.Session()

    def get(path: str) -> Answer:
        answer = session.get(base_url + path, timeout=120)
        return answer.status_code, answer.content

    def post(path: str, body: dict) -> Answer:
        answer = session.post(base_url + path, json=body, timeout=120)
        return answer.status_code, answer.content

    return get, post


def replay_initial_load(get: Callable[[str], Answer], post: Callable[[str, dict], Answer]) -> dict[str, float]:
    """Seconds per request of a first visit of ``PATH``, in order."""
    times: dict[str, float] = {}

    def timed(label: str, call) -> Answer:
        began = time.perf_counter()
        status, data = call()
        times[label] = time.perf_counter() - began
        if status not in (200, 204):
            raise RuntimeError(f"{label}: HTTP {status}: {data[:300].decode(errors='replace')}")
        return status, data

    timed("GET /", lambda: get(PATH))
    page = Page(json.loads(timed("GET /_dash-layout", lambda: get("/_dash-layout"))[1]))
    deps = json.loads(get("/_dash-dependencies")[1])
    fired: set[str] = set()
    for _ in range(ROUNDS_LIMIT):
        ready = []
        for dep in deps:
            if dep["output"] in fired or dep.get("clientside_function"):
                continue
            if dep.get("prevent_initial_call") and not page.set_by_location(dep):
                continue
            inputs = [page.resolve(i) for i in dep["inputs"]]
            state = [page.resolve(s) for s in dep.get("state", [])]
            if any(v is None for v in inputs + state):
                continue
            ready.append((dep, inputs, state))
        if not ready:
            break
        for dep, inputs, state in ready:
            fired.add(dep["output"])
            outputs = _outputs(dep["output"])
            body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
                    "inputs": inputs, "state": state, "changedPropIds": []}
            status, data = timed(f"callback {dep['output'][:60]}", lambda: post("/_dash-update-component", body))
            if status == 204:  # PreventUpdate
                continue
            for cid, props in json.loads(data).get("response", {}).items():
                key = _key(json.loads(cid)) if cid.startswith("{") else cid
                page.props.setdefault(key, {}).update(props)
                if "children" in props:
                    page.add(props["children"])
    return times


def run(ctx) -> list[Result]:
    try:
        from dashboard.app import create_app
    except ImportError as exc:
        return [not_run("dashboard overview (server side)", f"dashboard.app.create_app is not importable: {exc}")]
    from sloboard.settings import Settings
    from sloboard.status import status_report
    from sloboard.store import Store

    built = build(SIZES["standard"], ctx.root, ctx.log)
    settings = Settings(database_url=built.db_url, specs_dir=built.specs_dir.resolve(),
                        data_dir=(ctx.scratch / "dashboard").resolve())
    began = time.perf_counter()
    app = create_app(settings, clock=lambda: float(built.end))
    created_s = time.perf_counter() - began
    client = flask_client(app)
    first = sum(replay_initial_load(*client).values())
    times = replay_initial_load(*client)
    total = sum(times.values())
    slos = built.slos()
    with Store.open(built.db_url) as store:
        report_s = best_of(lambda: status_report(store, slos, built.end), 1)
    callbacks = [k for k in times if k.startswith("callback")]
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:3]
    return [Result(
        f"dashboard overview, standard ({built.size.slos} SLOs), server side",
        figure=fmt_s(total),
        baseline=f"status_report {fmt_s(report_s)}",
        ratio=f"{total / report_s:.2f}x time",
        notes=[f"layout + {len(callbacks)} initial callbacks via Flask's test client; the figure is a "
               f"second visit, the first took {fmt_s(first)}; create_app took {created_s:.1f} s; slowest: "
               + ", ".join(f"{k} {v:.2f} s" for k, v in slowest)],
    )]
