"""A bounded load generator on loopback: logged-in users load the overview for a fixed time.

Each user logs in through the login form (its CSRF token, a session of its own), then
loads the overview as a browser does (the page, ``/_dash-layout``, ``/_dash-dependencies``
and every callback that fires on load: ``bench.dashboard.load_page``), again and again,
each request after the last one's answer, until the time is up; with a think time, a
user then reads the page for a random pause in that range before loading it again, as
people (and load tools such as locust's ``between``) do. One thread per user, so the run
stops by itself. Used by the load test (``tests/faults/test_load_overview.py``)
and the scale-out benchmark (``bench/scale_out.py``).
"""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import requests

from .dashboard import load_page


@dataclass
class Tally:
    """Every user's request times, page-load times and errors, gathered under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    requests: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def ms(self, values: list[float], q: float) -> int | None:
        return round(float(np.percentile(values, q)) * 1000) if values else None

    def summary(self) -> str:
        return (f"{len(self.loads)} overview loads, {len(self.requests)} requests, {len(self.errors)} errors in "
                f"{self.seconds:.1f} s; requests p50/p95 {self.ms(self.requests, 50)}/{self.ms(self.requests, 95)} ms, "
                f"overview loads p50/p95 {self.ms(self.loads, 50)}/{self.ms(self.loads, 95)} ms")


def logged_in(url: str, user: str, password: str) -> requests.Session:
    """A session logged in through the form, sending what a browser sends with a callback."""
    session = requests.Session()
    session.headers.update({"Origin": url, "Sec-Fetch-Site": "same-origin"})
    form = session.get(f"{url}/login", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = session.post(f"{url}/login", data={"user": user, "password": password, "csrf_token": token},
                          allow_redirects=False, timeout=60)
    if answer.status_code != 302 or "login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"{user} could not log in: HTTP {answer.status_code}")
    return session


def _user(url: str, name: str, password: str, until: float, tally: Tally,
          think_s: tuple[float, float] | None) -> None:
    try:
        session = logged_in(url, name, password)
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

    pauses = random.Random(name)  # the same pauses each run
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            times, page = load_page(get, post, "/")
            if not (page.props.get("overview-body") or {}).get("children"):
                raise RuntimeError("empty overview")
        except Exception as exc:  # any failure of a load: an HTTP error, a timeout, an empty page
            with tally.lock:
                tally.errors.append(f"{name}: {exc!r}"[:300])
            continue
        with tally.lock:
            tally.requests.extend(times.values())
            tally.loads.append(time.monotonic() - began)
        if think_s is not None:
            time.sleep(min(pauses.uniform(*think_s), max(0.0, until - time.monotonic())))


def warm_up(url: str, user: str, password: str) -> float:
    """One overview load by ``user``, as the first visitor of an instant makes it; its seconds."""
    session = logged_in(url, user, password)
    began = time.monotonic()
    load_page(lambda p: _answer(session.get(url + p, timeout=120)),
              lambda p, body: _answer(session.post(url + p, json=body, timeout=120)), "/")
    return time.monotonic() - began


def _answer(response: requests.Response) -> tuple[int, bytes]:
    return response.status_code, response.content


def run_load(url: str, users: list[str], password: str, duration_s: float,
             think_s: tuple[float, float] | None = None) -> Tally:
    """``users`` (accounts with ``password``) load the overview of ``url`` for ``duration_s``,
    each pausing a random ``think_s`` (low, high) seconds between loads, or not at all."""
    tally = Tally()
    began = time.monotonic()
    until = began + duration_s
    with ThreadPoolExecutor(max_workers=len(users), thread_name_prefix="user") as pool:
        for future in [pool.submit(_user, url, name, password, until, tally, think_s) for name in users]:
            future.result()
    tally.seconds = time.monotonic() - began
    return tally
