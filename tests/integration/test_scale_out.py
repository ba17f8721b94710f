"""Scale-out with real parts: ``sloboard serve --workers 3`` (gunicorn) over PostgreSQL,
sharing results through Redis on loopback.

- Every worker answers the overview, an SLO page and the API with the numbers of
  ``sloboard status --json`` at the same instant, and only one worker computed them.
- A worker killed (SIGKILL) under load is restarted by the master; the others answer
  every request meanwhile.
- With Redis down, every worker computes locally, says so in its log and on ``/readyz``,
  and answers every request.

The store holds the synthetic demo fleet over the 3 days up to now: the pages evaluate
"now", floored to the step.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from sloboard.store import Store
from tests.redis_keys import redis_keys  # noqa: F401 (a fixture)

from .browser import demo_specs
from .gunicorn_cluster import gunicorn_command, start_cluster
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP_S = 60
DAYS = 3
API_ROUTE = "/api/v1/slos/<path:slo_id>/status"
SLO_ID = "checkout/availability"


@pytest.fixture
def seeded_pg(pg_url) -> str:
    end = int(time.time()) // STEP_S * STEP_S
    with Store.open(pg_url) as store:
        seed_store(store, generate_fleet(DEMO_SERVICES, end - DAYS * 86_400, end, step_s=STEP_S, seed=0), demo_specs())
    return pg_url


def _env(tmp_path, pg_url: str, cache_url: str, prefix: str) -> dict[str, str]:
    return cli_env(tmp_path / "data", "http://127.0.0.1:9", database_url=pg_url, cache__url=cache_url,
                   cache__key_prefix=prefix, auth__anonymous_role="viewer")


def _token(env, cwd) -> str:
    created = run_sloboard(["token", "create", "scale-out", "--scope", "status:read"], env, cwd)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def _status(env, cwd, at: int) -> dict:
    printed = run_sloboard(["status", "--json", "--at", str(at)], env, cwd)
    assert printed.returncode == 0, printed.stderr
    return json.loads(printed.stdout)


def _tile_titles(tree) -> dict[str, str]:
    """``{tile id: its title}`` ("label: value (state)") anywhere in a rendered Dash tree."""
    found: dict[str, str] = {}

    def walk(node) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if str(props.get("id", "")).startswith("tile-") and "title" in props:
                found[props["id"]] = props["title"]
            walk(props.get("children"))

    walk(tree)
    return found


def _pct(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}%"


def _expected_overview(status: dict) -> tuple[str, str]:
    """The titles of the overview's "meeting" and "lowest budget" tiles, from the status JSON."""
    known = [s for s in status["slos"] if s["sli"] is not None]
    meeting = sum(s["sli"] >= s["objective"] for s in known)
    lowest = min(s["budget_remaining"] for s in status["slos"] if s["budget_remaining"] is not None)
    return f"SLOs meeting objective: {meeting} / {len(known)} (", f"Lowest budget: {_pct(lowest, 1)} ("


def _wait_for_a_fresh_step(needed_s: float) -> int:
    """Wait until ``needed_s`` fit before the next step begins; the current step then."""
    while STEP_S - time.time() % STEP_S < needed_s:
        time.sleep(0.5)
    return int(time.time()) // STEP_S * STEP_S


class Pages:
    """The overview, an SLO page and the API, each rendered once and checked, by any worker."""

    def __init__(self, cluster, token: str, at: int, slo_ids: list[str]):
        self.cluster, self.token, self.at, self.slo_ids = cluster, token, at, slo_ids

    def overview(self) -> dict[str, str]:
        answer = self.cluster.overview()
        assert answer.status_code == 200, answer.text[:500]
        return _tile_titles(answer.json()["response"]["overview-body"]["children"])

    def slo_page(self) -> dict[str, str]:
        answer = self.cluster.slo_page(SLO_ID)
        assert answer.status_code == 200, answer.text[:500]
        return _tile_titles(answer.json()["response"]["slo-body"]["children"])

    def api(self, slo_id: str) -> dict:
        answer = self.cluster.get(f"/api/v1/slos/{slo_id}/status?at={self.at}",
                                  headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text[:500]
        return answer.json()

    def one_round(self, pool: ThreadPoolExecutor, repeats: int) -> tuple[list, list, list]:
        overviews = [pool.submit(self.overview) for _ in range(repeats)]
        slo_pages = [pool.submit(self.slo_page) for _ in range(repeats)]
        apis = [pool.submit(self.api, slo_id) for _ in range(repeats) for slo_id in self.slo_ids]
        return [f.result() for f in overviews], [f.result() for f in slo_pages], [f.result() for f in apis]


def _check_numbers(status: dict, overviews, slo_pages, apis) -> None:
    meeting, lowest = _expected_overview(status)
    for tiles in overviews:
        assert tiles["tile-meeting"].startswith(meeting) and tiles["tile-budget"].startswith(lowest), tiles
    entry = next(s for s in status["slos"] if s["id"] == SLO_ID)
    for tiles in slo_pages:
        assert tiles["tile-sli"].startswith(f"SLI: {_pct(entry['sli'], 3)} ("), tiles
    by_id = {s["id"]: s for s in status["slos"]}
    for answer in apis:
        assert answer == by_id[answer["id"]] | {"at": status["at"]}


def _every_worker_served(cluster, pages: Pages, pool: ThreadPoolExecutor, *, rounds: int = 12):
    """Render rounds until every worker has answered each kind of request; their results and metrics."""
    results: tuple[list, list, list] = ([], [], [])
    for _ in range(rounds):
        for kept, new in zip(results, pages.one_round(pool, repeats=cluster.workers * 2)):
            kept.extend(new)
        workers = cluster.worker_metrics()
        if all(w.callbacks("overview-body.children") and w.callbacks("slo-body.children") and w.requests(API_ROUTE)
               for w in workers.values()):
            return results, workers
    raise AssertionError(f"not every worker answered all pages in {rounds} rounds: "
                         f"{[(w.pid, w.callbacks('overview-body.children'), w.requests(API_ROUTE)) for w in workers.values()]}")


def _served_and_checked(cluster, env, cwd, slo_ids: list[str]) -> dict:
    """Render the pages until every worker answered each, at one instant, and check every
    answer against ``sloboard status --json`` at that instant; the workers' metrics."""
    pages = Pages(cluster, _token(env, cwd), _wait_for_a_fresh_step(needed_s=40), slo_ids)
    with ThreadPoolExecutor(cluster.workers * 3) as pool:
        (overviews, slo_pages, apis), workers = _every_worker_served(cluster, pages, pool)
    assert int(time.time()) // STEP_S * STEP_S == pages.at, "the step moved on during the test: too slow a machine"
    _check_numbers(_status(env, cwd, pages.at), overviews, slo_pages, apis)
    assert len(workers) == cluster.workers
    return workers


@pytest.fixture
def shared_cluster(seeded_pg, redis_keys, tmp_path):
    env = _env(tmp_path, seeded_pg, redis_keys.url, redis_keys.prefix)
    cluster = start_cluster(env, tmp_path, workers=3)
    yield cluster, env
    cluster.stop()


def test_three_workers_show_the_numbers_of_sloboard_status_and_compute_each_instant_once(shared_cluster, tmp_path):
    cluster, env = shared_cluster
    workers = _served_and_checked(cluster, env, tmp_path, [s.id for s in demo_specs()])
    # The API asked at the pages' instant: one status report, one DORA and one cost trend for all.
    for result in ("status", "dora_trends", "cost_trends"):
        counts = {w.pid: w.computations(result) for w in workers.values()}
        assert sum(counts.values()) == 1, (result, counts)
    assert "computing locally" not in cluster.log()


def test_a_worker_killed_mid_request_is_restarted_and_the_others_answer_every_request(shared_cluster, tmp_path):
    cluster, env = shared_cluster
    token = _token(env, tmp_path)
    at = _wait_for_a_fresh_step(needed_s=45)
    pages = Pages(cluster, token, at, [SLO_ID])
    victim = next(iter(cluster.worker_metrics()))
    outcomes: list[tuple[float, str, int, object]] = []  # (time, kind, client, result or error)
    stopping = threading.Event()

    def load(kind: str, client: int) -> None:
        render = {"overview": pages.overview, "slo": pages.slo_page, "api": lambda: pages.api(SLO_ID)}[kind]
        while not stopping.is_set():
            try:
                outcomes.append((time.monotonic(), kind, client, render()))
            except requests.ConnectionError as exc:  # the killed worker's own requests
                outcomes.append((time.monotonic(), kind, client, exc))

    threads = [threading.Thread(target=load, args=(kind, client))
               for client, kind in enumerate(("overview", "slo", "api") * 3)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    time.sleep(6)
    stopping.set()
    for thread in threads:
        thread.join(60)

    failed = [(t - killed_at, kind, client, error) for t, kind, client, error in outcomes if isinstance(error, Exception)]
    answered = [(t, kind, result) for t, kind, _client, result in outcomes if not isinstance(result, Exception)]
    # Only the requests the killed worker held may fail: the one each client had in flight
    # there at the kill. A gthread worker also holds connections it accepted but had not
    # started (more than its threads), so the bound is per client, not the worker's threads.
    clients = [client for _, _, client, _ in failed]
    assert len(clients) == len(set(clients)) and all(0 <= delay < 2.0 for delay, _, _, _ in failed), failed
    assert len(answered) > 50 and any(t > killed_at + 1 for t, _, _ in answered)
    _check_numbers(_status(env, tmp_path, at),
                   [r for _, kind, r in answered if kind == "overview"],
                   [r for _, kind, r in answered if kind == "slo"],
                   [r for _, kind, r in answered if kind == "api"])
    workers = cluster.worker_metrics()
    assert len(workers) == 3 and victim not in workers, (victim, sorted(workers))
    assert f"(pid:{victim})" in cluster.log() and "Booting worker" in cluster.log().split(f"(pid:{victim})", 1)[1]


def _warned(log: str, pid: int, text: str) -> bool:
    """Whether worker ``pid`` logged a warning containing ``text``: as a JSON line (``pid``,
    ``level``, ``message``) or as a plain ``[pid] WARNING ...`` line."""
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("pid") == pid and record.get("level") == "warning" and text in record.get("message", ""):
                return True
        elif f"[{pid}] WARNING" in line and text in line:
            return True
    return False


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_redis_down_every_worker_computes_locally_warns_and_answers(seeded_pg, tmp_path):
    cache_url = f"redis://127.0.0.1:{_closed_port()}/0"
    env = _env(tmp_path, seeded_pg, cache_url, "down:")
    cluster = start_cluster(env, tmp_path, workers=3)
    try:
        workers = _served_and_checked(cluster, env, tmp_path, [SLO_ID])
        with ThreadPoolExecutor(9) as pool:
            ready = list(pool.map(lambda _: cluster.get("/readyz"), range(30)))
        # Each worker computed the report itself, once (its threads share one computation).
        assert {pid: w.computations("status") for pid, w in workers.items()} == {pid: 1 for pid in workers}
        assert all(w.text.count("sloboard_cache_up 0") == 1 for w in workers.values())
        assert {r.status_code for r in ready} == {200}
        assert all(f"warning: cache {cache_url}: Error 111 connecting" in r.text and "computing locally" in r.text
                   for r in ready), [r.text for r in ready]
        log = cluster.log()
        for pid in workers:
            assert _warned(log, pid, f"cache {cache_url}: Error 111"), (pid, log[-3000:])
    finally:
        cluster.stop()


def test_the_documented_gunicorn_entry_serves_the_same_dashboard(seeded_pg, redis_keys, tmp_path):
    env = _env(tmp_path, seeded_pg, redis_keys.url, redis_keys.prefix)
    cluster = start_cluster(env, tmp_path, workers=2, command=gunicorn_command)
    try:
        workers = _served_and_checked(cluster, env, tmp_path, [SLO_ID])
        assert sum(w.computations("status") for w in workers.values()) == 1
    finally:
        cluster.stop()
