"""Load: 50 users, each logged in through the login form (CSRF token, a session of its
own), poll the overview for 60 s as a browser loads it (the page, ``/_dash-layout``,
``/_dash-dependencies`` and every callback that fires on load) against `sloboard serve`
in a subprocess on a free loopback port, over a seeded demo store. The load generator is
bounded: a thread per user, each request after the last one's answer, for a fixed time.
0 errors; p50 and p95 of the requests and of whole overview loads are the figures.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests

from bench.dashboard import load_page
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


def _logged_in(url: str, user: str) -> requests.Session:
    session = requests.Session()
    # As a browser sends them with a callback's POST: this origin, same-origin fetch.
    session.headers.update({"Origin": url, "Sec-Fetch-Site": "same-origin"})
    form = session.get(f"{url}/login", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = session.post(f"{url}/login", data={"user": user, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False, timeout=60)
    assert answer.status_code == 302 and "login" not in answer.headers["Location"], (user, answer.status_code)
    return session


class Tally:
    """Every user's request times, page-load times and errors, gathered under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[float] = []
        self.loads: list[float] = []
        self.errors: list[str] = []


def _user(url: str, name: str, until: float, tally: Tally) -> None:
    try:
        session = _logged_in(url, name)
    except Exception as exc:  # a failed login is an error of the run, counted like any other
        with tally.lock:
            tally.errors.append(f"{name} login: {exc!r}")
        return

    def get(path):
        answer = session.get(url + path, timeout=60)
        return answer.status_code, answer.content

    def post(path, body):
        answer = session.post(url + path, json=body, timeout=60)
        return answer.status_code, answer.content

    while time.monotonic() < until:
        began = time.monotonic()
        try:
            times, page = load_page(get, post, "/")
            assert "overview-body" in page.props and page.props["overview-body"].get("children"), "empty overview"
        except Exception as exc:  # any failure of a load: an HTTP error, a timeout, an empty page
            with tally.lock:
                tally.errors.append(f"{name}: {exc!r}"[:300])
            continue
        with tally.lock:
            tally.requests.extend(times.values())
            tally.loads.append(time.monotonic() - began)


def test_fifty_logged_in_users_poll_the_overview_for_a_minute_without_an_error(served, figure):
    tally = Tally()
    began = time.monotonic()
    until = began + DURATION_S
    with ThreadPoolExecutor(max_workers=USERS, thread_name_prefix="user") as pool:
        for future in [pool.submit(_user, served, f"user{i:02d}", until, tally) for i in range(USERS)]:
            future.result()
    seconds = time.monotonic() - began
    ms = lambda values, q: round(float(np.percentile(values, q)) * 1000) if values else None  # noqa: E731

    figure("users, seconds", f"{USERS}, {seconds:.1f}")
    figure("overview loads, timed requests, errors", f"{len(tally.loads)}, {len(tally.requests)}, {len(tally.errors)}")
    figure("request p50 / p95 (ms)", f"{ms(tally.requests, 50)} / {ms(tally.requests, 95)}")
    figure("overview load p50 / p95 (ms)", f"{ms(tally.loads, 50)} / {ms(tally.loads, 95)}")
    assert tally.errors == []
    assert len(tally.loads) >= USERS, "not every user loaded the overview once"
