"""Load: 50 users, each logged in through the login form (CSRF token, a session of its
own), poll the overview for 60 s as a browser loads it (``bench.load``: the page,
``/_dash-layout``, ``/_dash-dependencies`` and every callback that fires on load) against
`sloboard serve` in a subprocess on a free loopback port, over a seeded demo store. The
load generator is bounded: a thread per user, each request after the last one's answer,
for a fixed time.
0 errors; p50 and p95 of the requests and of whole overview loads are the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from bench.load import run_load
from sloboard import credentials
from sloboard.store import Store
from tests.integration.prom import free_port
from tests.processes import stop_process

from .demo_site import seed_demo

pytestmark = pytest.mark.integration

USERS = 50
DURATION_S = 60.0
PASSWORD = "load test passphrase 50"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`sloboard serve` over a demo store ending now, with USERS viewer accounts."""
    site = seed_demo(tmp_path_factory.mktemp("load"), end=int(time.time()))
    hashed = credentials.hash_password(PASSWORD)  # one hash (with its salt) for every account: fast to set up
    with Store.open(site.db_url) as store:
        for i in range(USERS):
            store.add_user(f"user{i:02d}", "viewer", hashed, actor="test")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")} | site.env
    log = (site.data_dir / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", "from sloboard.cli import main; main()", "serve",
                               "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (site.data_dir / "serve.log").read_text()
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "sloboard serve did not answer within 60 s"
            time.sleep(0.1)
        yield url
    finally:
        stop_process(server)
        log.close()


def test_fifty_logged_in_users_poll_the_overview_for_a_minute_without_an_error(served, figure):
    tally = run_load(served, [f"user{i:02d}" for i in range(USERS)], PASSWORD, DURATION_S)

    figure("users, seconds", f"{USERS}, {tally.seconds:.1f}")
    figure("overview loads, timed requests, errors", f"{len(tally.loads)}, {len(tally.requests)}, {len(tally.errors)}")
    figure("request p50 / p95 (ms)", f"{tally.ms(tally.requests, 50)} / {tally.ms(tally.requests, 95)}")
    figure("overview load p50 / p95 (ms)", f"{tally.ms(tally.loads, 50)} / {tally.ms(tally.loads, 95)}")
    assert tally.errors == []
    assert len(tally.loads) >= USERS, "not every user loaded the overview once"
