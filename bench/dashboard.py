"""Dashboard: server-side time to render the overview and an SLO detail page, and the
dashboard process's memory.

The app (``dashboard.app.create_app``) runs over the standard fleet (and, with
``--large``, the large one) with its clock
pinned near the fleet's end, behind Flask's test client: no browser, no network. What a
browser's first visit of a page costs the server is replayed the way the Dash renderer
does it: ``GET <page>`` and ``/_dash-layout``, then every callback that fires on load
(``prevent_initial_call`` false, or an input set by a ``Location`` on mount; not
clientside) whose inputs exist, in rounds, each
round's new components (outputs named ``children``) feeding the next, through
``POST /_dash-update-component``. Pattern-matching ``ALL`` inputs get every matching
component; callbacks with other wildcards are not fired.

Each page is visited ``REPEATS`` times, each time at a new instant (the clock moves one
collection step back, so nothing computed for an earlier visit applies), then once more
at the same instant: the dashboard keeps the status report and the KPI trends per
instant (``DashboardContext.per_instant``), so that second visit is what every
browser but the first sees within one step. Both are reported as p50 / p95.

The measuring runs in a child process (``python -m bench.dashboard``) that holds only the
app and this replay, so its peak RSS (``VmHWM``) is the dashboard process's, whatever
else ``make bench`` has loaded.

Baseline: ``status_report`` in the same process over the same store and SLOs at new
instants, the numbers the overview shows; the ratio is the cost of the page around them.
The large fleet's rows compare with the standard fleet's figure for the same page and
visit: how the page scales with ten times the SLOs, services and cost series.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import numpy as np
import requests

from .fleet import SIZES, STEP_S, BuiltFleet, FleetTooLarge, build
from .report import Result, not_run
from .timing import proc_status_bytes

ROUNDS_LIMIT = 10
REPEATS = 15
# The large fleet's overview target is the ("Scale and speed"); it names none for its SLO detail page.
TARGETS_S = {"standard": {"overview": 0.300, "SLO detail": 0.250}, "large": {"overview": 0.500}}
RSS_TARGET_BYTES = 400e6
LOCATION_PROPS = ("pathname", "search", "href", "hash")
# What a page computes at an instant nothing was computed for (an SLO page reads its own
# SLO's status, the entry the report would hold, unless the report is kept already).
NEW_INSTANT_WORK = {"overview": "the status report, KPI trends and charts",
                    "SLO detail": "the SLO's status, its history and charts"}


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

    def __init__(self, layout: dict, path: str):
        self.path, _, query = path.partition("?")  # a query string is the Location's search
        self.search = f"?{query}" if query else ""
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
                    self.props[key].update(pathname=self.path, search=self.search,
                                           href=f"http://localhost{self.path}{self.search}", hash="")

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


def replay_initial_load(get: Callable[[str], Answer], post: Callable[[str, dict], Answer],
                        path: str = "/") -> dict[str, float]:
    """Seconds per request of a first visit of ``path``, in order."""
    return load_page(get, post, path)[0]


def load_page(get: Callable[[str], Answer], post: Callable[[str, dict], Answer],
              path: str = "/") -> tuple[dict[str, float], Page]:
    """A first visit of ``path`` (which may carry a query string): the seconds per request,
    in order, and the components the browser then holds, with the callbacks' props."""
    times: dict[str, float] = {}

    def timed(label: str, call) -> Answer:
        began = time.perf_counter()
        status, data = call()
        times[label] = time.perf_counter() - began
        if status not in (200, 204):
            raise RuntimeError(f"{label}: HTTP {status}: {data[:300].decode(errors='replace')}")
        return status, data

    timed(f"GET {path}", lambda: get(path))
    page = Page(json.loads(timed("GET /_dash-layout", lambda: get("/_dash-layout"))[1]), path)
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
    return times, page


def measure(db_url: str, specs_dir: str, data_dir: str, end: int, repeats: int) -> dict[str, Any]:
    """Time both pages at new instants and again at the same instant, and status_report; in this process."""
    from dashboard.app import create_app
    from dashboard.warmer import warm_overview
    from sloboard.settings import Settings
    from sloboard.reads.status import status_report

    # Pages as a wall display sees them (auth.anonymous_role): the server's work, without a login.
    settings = Settings(database_url=db_url, specs_dir=Path(specs_dir), data_dir=Path(data_dir),
                        auth={"anonymous_role": "viewer"})
    now = [float(end)]
    began = time.perf_counter()
    app = create_app(settings, clock=lambda: now[0])
    created_s = time.perf_counter() - began
    ctx = app.server.extensions["sloboard"]
    client = flask_client(app)
    slo_id = ctx.slos[0].id
    pages = {"overview": "/", "SLO detail": f"/slo/{quote(slo_id, safe='')}"}
    first = {name: sum(replay_initial_load(*client, path).values()) for name, path in pages.items()}
    instants = iter(range(end - STEP_S, 0, -STEP_S))  # every visit at a new instant, the data all there
    out: dict[str, Any] = {"created_s": created_s, "first_s": first, "slo_id": slo_id, "pages": {}}
    for name, path in pages.items():
        fresh, again, slowest = [], [], {}
        for _ in range(repeats):
            now[0] = float(next(instants))
            times = replay_initial_load(*client, path)
            fresh.append(sum(times.values()))
            for label, seconds in times.items():
                slowest[label] = max(slowest.get(label, 0.0), seconds)
            again.append(sum(replay_initial_load(*client, path).values()))
        out["pages"][name] = {"path": path, "new_instant": fresh, "same_instant": again, "slowest": slowest}
    # A served dashboard (``dashboard.serve``) warms each new instant's overview in the
    # background: what the first browser at that instant then costs the server.
    warm_ups, warmed = [], []
    for _ in range(repeats):
        now[0] = float(next(instants))
        began = time.perf_counter()
        warm_overview(ctx, ctx.at())
        warm_ups.append(time.perf_counter() - began)
        warmed.append(sum(replay_initial_load(*client, pages["overview"]).values()))
    out["pages"]["overview"]["after_warm_up"] = warmed
    out["warm_up_s"] = warm_ups
    report = []
    for _ in range(repeats):
        at = next(instants)
        began = time.perf_counter()
        status_report(ctx.store, ctx.slos, at, step_s=settings.collect.step_s, timezone_name=settings.timezone,
                      cost_budgets=settings.cost.budgets(), dora_bands=ctx.dora_bands)
        report.append(time.perf_counter() - began)
    out["status_report_s"] = report
    out["peak_rss"], out["rss"] = proc_status_bytes("VmHWM"), proc_status_bytes("VmRSS")
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _measure_fleet(built: BuiltFleet, ctx) -> dict[str, Any] | str:
    """``measure`` over ``built`` in a child process; its answer, or why there is none."""
    data_dir = (ctx.scratch / "dashboard").resolve()
    args = [built.db_url, str(built.specs_dir.resolve()), str(data_dir), str(built.end), str(REPEATS)]
    child = subprocess.run([sys.executable, "-m", "bench.dashboard", *args], capture_output=True, text=True)
    if child.returncode != 0:
        return f"the measuring process exited with {child.returncode}: {child.stderr.strip()[-400:]}"
    return json.loads(child.stdout.strip().splitlines()[-1])


def _fleet_results(built: BuiltFleet, got: dict[str, Any],
                   standard: dict[str, Any] | None = None) -> list[Result]:
    """The rows of one fleet. Without ``standard`` (the standard fleet itself) each page is
    compared with ``status_report`` in the same process; with it (the large fleet), with the
    standard fleet's figure for the same page and visit, as the issue asks."""
    name = built.size.name
    targets = TARGETS_S[name]
    report_p50 = _p(got["status_report_s"], 50)
    fleet = f"{name} ({built.size.slos} SLOs, {built.size.days} days)"
    results = []
    for page_name, page in got["pages"].items():
        target = targets.get(page_name)
        slowest = sorted(page["slowest"].items(), key=lambda kv: -kv[1])[:3]
        for kind, label, note in (
            ("new_instant", "first visit at a new instant",
             "nothing computed yet for the instant: " + NEW_INSTANT_WORK[page_name] + " all in this render"),
            ("same_instant", "again at the same instant",
             "status report and KPI trends kept for the instant, as every browser but the first sees them"),
            ("after_warm_up", "first visit at a new instant, served (after the background warm-up)",
             "`sloboard serve` warms each new instant's overview in a thread (dashboard/warmer.py); the warm-up "
             f"itself took p50 {_ms(_p(got['warm_up_s'], 50))} outside any request"),
        ):
            if kind not in page:
                continue
            times = page[kind]
            p95 = _p(times, 95)
            if standard is None:
                baseline, ratio = f"status_report p50 {_ms(report_p50)}", _p(times, 50) / report_p50
            else:
                base = standard["pages"][page_name][kind]
                baseline, ratio = f"standard fleet p50 {_ms(_p(base, 50))}", _p(times, 50) / _p(base, 50)
            results.append(Result(
                f"dashboard {page_name}, {fleet}, {label} (p50 / p95)",
                figure=f"{_ms(_p(times, 50))} / {_ms(p95)}",
                target="-" if target is None else f"p95 <= {_ms(target)}",
                met=None if target is None else p95 <= target,
                baseline=baseline,
                ratio=f"{ratio:.2f}x time (p50)",
                notes=[f"{page['path']}: layout + initial callbacks via Flask's test client, {len(times)} visits; "
                       f"{note}" + ("" if kind != "new_instant" else "; slowest request: " + ", ".join(
                           f"{k} {v * 1000:.0f} ms" for k, v in slowest))
                       + ("" if standard is None else f"; status_report p50 {_ms(report_p50)} here")],
            ))
    results.append(Result(
        f"dashboard process memory, {fleet}",
        figure=f"{got['peak_rss'] / 1e6:.0f} MB peak RSS",
        target=f"< {RSS_TARGET_BYTES / 1e6:.0f} MB",
        met=got["peak_rss"] < RSS_TARGET_BYTES,
        notes=[f"the measuring process (app + replay only) after "
               + ", ".join(f"{sum(map(len, (v for k, v in page.items() if k not in ('path', 'slowest'))))} visits "
                           f"of the {name}" for name, page in got["pages"].items())
               + "; RSS now "
               f"{got['rss'] / 1e6:.0f} MB; create_app took {got['created_s']:.1f} s; the very first visits "
               + ", ".join(f"{k} {v:.2f} s" for k, v in got["first_s"].items())],
    ))
    return results


def run(ctx) -> list[Result]:
    try:
        import dashboard.app  # noqa: F401  (only to say why nothing is measured)
    except ImportError as exc:
        return [not_run("dashboard overview (server side)", f"dashboard.app.create_app is not importable: {exc}")]
    built = build(SIZES["standard"], ctx.root, ctx.log)
    got = _measure_fleet(built, ctx)
    if isinstance(got, str):
        return [not_run("dashboard overview (server side)", got)]
    results = _fleet_results(built, got)
    if ctx.large:
        try:
            large = build(SIZES["large"], ctx.root, ctx.log)
        except FleetTooLarge as exc:
            return results + [not_run("dashboard overview, large (1000 SLOs, 400 days)", str(exc),
                                      f"p95 <= {_ms(TARGETS_S['large']['overview'])}")]
        got_large = _measure_fleet(large, ctx)
        if isinstance(got_large, str):
            return results + [not_run("dashboard overview, large (1000 SLOs, 400 days)", got_large)]
        results += _fleet_results(large, got_large, standard=got)
    return results


if __name__ == "__main__":
    db_url, specs_dir, data_dir, end, repeats = sys.argv[1:6]
    print(json.dumps(measure(db_url, specs_dir, data_dir, int(end), int(repeats))))
