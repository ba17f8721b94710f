"""`sloboard demo` as a new user runs it: a real process serving on a free loopback port,
with `sloboard status` and curl-like requests from outside.

The demo runs with 10-second steps (``SLOBOARD_COLLECT__STEP_S``) so that the test sees
the fleet move within seconds instead of minutes; the code path is the same.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .browser import SPECS_DIR, wait_until

pytestmark = pytest.mark.integration
STEP = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    env.update(SLOBOARD_DATA_DIR=str(tmp_path / "var"), SLOBOARD_SPECS_DIR=str(SPECS_DIR),
               SLOBOARD_COLLECT__STEP_S=str(STEP))
    return env


def _newest_sample(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT max(ts) FROM sli_samples").fetchone()[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    port = _free_port()
    log = open(tmp_path / "demo.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "sloboard", "demo", "--port", str(port), "--days", "1"],
                               stdout=log, stderr=subprocess.STDOUT, env=_env(tmp_path), cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"

    def ready():
        assert process.poll() is None, (tmp_path / "demo.log").read_text()
        try:
            return requests.get(f"{url}/readyz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(ready, 120, "the demo to serve")
        yield url, tmp_path, (tmp_path / "demo.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_the_printed_curl_line_records_a_deployment(demo):
    url, _, output = demo
    line = next(line for line in output.splitlines() if line.startswith("record a deployment: curl"))
    token = re.search(r"Bearer ([\w-]+)", line).group(1)
    assert f"API token: {token}" in output
    body = json.loads(re.search(r"-d '(.*)'$", line).group(1))
    response = requests.post(f"{url}/api/v1/deployments", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == []


def test_the_fleet_keeps_moving_while_the_demo_serves(demo):
    _, tmp_path, _ = demo
    db = tmp_path / "var" / "sloboard.db"
    first = _newest_sample(db)
    moved = wait_until(lambda: _newest_sample(db) > first and _newest_sample(db), 3 * STEP + 5,
                       "the demo to append a step")
    assert moved % STEP == 0 and moved <= time.time()
    status = subprocess.run([sys.executable, "-m", "sloboard", "status", "--json"], capture_output=True, text=True,
                            env=_env(tmp_path), cwd=tmp_path, timeout=120)
    assert status.returncode == 0 and status.stderr == "", status.stderr
    report = json.loads(status.stdout)
    assert all(s["sli"] is not None for s in report["slos"])
