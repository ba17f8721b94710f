"""Scale-out: 50 users load the overview for 60 s from 4 gunicorn workers over PostgreSQL and Redis.

The layout of docs/operations.md: ``sloboard serve --workers 4`` over a PostgreSQL store
holding 1,000 SLOs (500 services), with the shared Redis cache (``cache.url``), on a
free loopback port. 50 viewer accounts log in and load the overview as a browser does,
for 60 s (``bench.load``), after one load that computes the first instant (the cold
render is the dashboard row's figure): once pausing 2-8 s between loads, as people reading the page
do, and once without pauses. Baseline: the same loads on ``--workers 1``, the same store
and cache, in the same run.

The fleet ends at the current hour, so the dashboard's wall clock reads a fleet that is
being collected (its windows hold data and the instant moves every minute, as in
production; each new instant is computed by one worker). It holds ``DAYS`` days: enough
for the overview's 1-hour to 7-day windows to be full and its 30-day ones to hold what
a new install has; the cold render at 400 days is the dashboard row's. It is seeded into
a PostgreSQL schema of its own, dropped at the end, and the Redis keys carry a prefix of
this run, deleted at the end.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from collectors.synthetic import generate_fleet
from collectors.synthetic_store import seed_store
from sloboard import credentials
from sloboard.store import Store

from .fleet import RETENTION, SEED, STEP_S, load_slos
from .load import run_load, warm_up
from .report import Result, at_most
from .specs import write_specs

SERVICES = 500  # two SLOs each: 1,000 SLOs
DAYS = 8
USERS = 50
DURATION_S = 60.0
WORKERS = 4
P95_TARGET_MS = 300
REDIS_URL = "redis://127.0.0.1:6379/12"  # not 0, where a dashboard on this machine keeps its keys
PASSWORD = "scale-out bench passphrase"


# (name, think time): people who read the page between loads (locust's ``between(2, 8)``),
# and the same users reloading without a pause, the most a closed loop can ask.
LOADS = (("pausing 2-8 s between loads", (2.0, 8.0)), ("without pauses", None))


def run(ctx) -> list[Result]:
    from tests.integration.gunicorn_cluster import start_cluster

    with tempfile.TemporaryDirectory(dir=ctx.scratch) as tmp, _pg_schema(ctx.pg_url) as db_url:
        folder = Path(tmp).resolve()  # the servers run in it: every path they get is absolute
        seconds = _seed(folder, db_url, ctx.log)
        prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")} | {
            "SLOBOARD_DATA_DIR": str(folder / "data"), "SLOBOARD_SPECS_DIR": str(folder / "specs"),
            "SLOBOARD_PROMETHEUS_URL": "http://127.0.0.1:9", "SLOBOARD_DATABASE_URL": db_url,
            "SLOBOARD_CACHE__URL": REDIS_URL, "SLOBOARD_CACHE__KEY_PREFIX": prefix,
        }
        tallies, server_errors, cold = {}, {}, {}
        try:
            for workers in (WORKERS, 1):
                cluster = start_cluster(env, folder, workers, ready_s=180)
                try:
                    # The first visitor's cold render is the dashboard row's figure; here the
                    # steady state: the instant moves every minute during the run all the same.
                    cold[workers] = warm_up(cluster.url, _users()[0], PASSWORD)
                    for label, think_s in LOADS:
                        ctx.log(f"   {USERS} users {label} for {DURATION_S:.0f} s on {workers} worker(s)")
                        tally = tallies[workers, label] = run_load(cluster.url, _users(), PASSWORD, DURATION_S,
                                                                   think_s)
                        ctx.log(f"   {workers} worker(s), {label}: {tally.summary()}")
                finally:
                    cluster.stop()
                    server_errors[workers] = _error_lines(cluster.log())
        finally:
            _drop_keys(prefix)
    fleet = (f"fleet: {SERVICES} services, {2 * SERVICES} SLOs, {DAYS} days ending at this hour, seeded into "
             f"PostgreSQL in {seconds:.0f} s")
    logs = [f"server log, {w} worker(s): {lines}" for w, lines in server_errors.items() if lines]
    logs += [f"before the timed loads, one overview load at a new instant (cold, no warmer): "
             + ", ".join(f"{w} worker(s) {s:.2f} s" for w, s in cold.items())]
    return [_row(label, tallies[WORKERS, label], tallies[1, label], [fleet, *logs]) for label, _ in LOADS]


def _row(label: str, many, one, notes: list[str]) -> Result:
    p95, p95_one = many.ms(many.requests, 95), one.ms(one.requests, 95)
    return Result(
        f"overview, {USERS} users {label}, {DURATION_S:.0f} s, {WORKERS} gunicorn workers, PostgreSQL + Redis, "
        f"{2 * SERVICES:,} SLOs",
        figure=f"requests p50 {many.ms(many.requests, 50)} ms / p95 {p95} ms, {len(many.errors)} errors",
        target=f"p95 <= {P95_TARGET_MS} ms, 0 errors",
        met=p95 is not None and at_most(p95, P95_TARGET_MS) and not many.errors,
        baseline=f"1 worker: p50 {one.ms(one.requests, 50)} ms / p95 {p95_one} ms, {len(one.errors)} errors",
        ratio=f"{p95 / p95_one:.2f}x p95" if p95 and p95_one else "-",
        notes=[f"{WORKERS} workers: {many.summary()}", f"1 worker: {one.summary()}", *notes]
              + [f"first errors: {many.errors[:3] + one.errors[:3]}"] * bool(many.errors or one.errors),
    )


def _error_lines(log: str, keep: int = 3) -> list[str]:
    """The first ``keep`` distinct error messages of a server log (JSON lines or gunicorn's own)."""
    found: list[str] = []
    for line in log.splitlines():
        if '"level": "error"' in line or "[ERROR]" in line or line.startswith(("Traceback", "sqlalchemy.", "psycopg.")):
            text = line[:400]
            if text not in found:
                found.append(text)
        if len(found) == keep:
            break
    return found


def _users() -> list[str]:
    return [f"user{i:02d}" for i in range(USERS)]


def _seed(folder: Path, db_url: str, log) -> float:
    began = time.perf_counter()
    end = int(time.time()) // 3600 * 3600
    fleet = generate_fleet(SERVICES, end - DAYS * 86_400, end, step_s=STEP_S, seed=SEED)
    write_specs(folder / "specs", fleet.profiles)
    slos = load_slos(folder / "specs")
    log(f"   seeding {len(slos)} SLOs over {DAYS} days into PostgreSQL")
    hashed = credentials.hash_password(PASSWORD)  # one hash for every account: fast to set up
    with Store.open(db_url, retention=RETENTION) as store:
        seed_store(store, fleet, slos)
        for user in _users():
            store.add_user(user, "viewer", hashed, actor="bench")
    return time.perf_counter() - began


class _pg_schema:
    """A PostgreSQL schema of its own for the run: its URL on entry, dropped on exit."""

    def __init__(self, server_url: str):
        self.server = sa.make_url(server_url)
        self.schema = f"sloboard_bench_scale_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
        return self.server.update_query_dict({"options": f"-csearch_path={self.schema}"}).render_as_string(
            hide_password=False)

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.admin.dispose()


def _drop_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
