"""A served dashboard (a real server on loopback) takes up new, changed and broken spec
files without a restart: by itself on the next requests, and at once on SIGHUP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.spec_reload import POLL_S
from sloboard.settings import Settings
from sloboard.store import Store

from .browser import SPECS_DIR, DashboardServer, chrome, severe_console_messages, table_rows, wait_until  # noqa: F401

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
CHECKOUT = {"checkout/availability", "checkout/latency"}
PAYMENTS = {"payments/availability", "payments/latency"}
BROKEN = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: availability\nspec:\n  objective: high\n"


TOKEN = "reload-test-token"  # the API needs a token with status:read (api_tokens: every scope)


def listed(url: str) -> set[str]:
    request = urllib.request.Request(url + "/api/v1/slos", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return {s["id"] for s in json.load(response)["slos"]}


def checkout_folder(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("checkout.yaml", "prometheus.yaml"):
        shutil.copy(SPECS_DIR / name, specs / name)
    return specs


def test_a_new_spec_appears_and_a_broken_one_keeps_the_last_good_set(chrome, tmp_path):
    specs = checkout_folder(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", specs_dir=specs, api_tokens={"reload": TOKEN})
    store = Store.open(f"sqlite:///{tmp_path / 'reload.db'}")
    server = DashboardServer.start(settings, store=store, clock=time.time)
    try:
        assert listed(server.url) == CHECKOUT
        shutil.copy(SPECS_DIR / "payments.yaml", specs / "payments.yaml")
        wait_until(lambda: listed(server.url) == CHECKOUT | PAYMENTS, timeout=4 * POLL_S, what="the new SLOs")
        chrome.get(server.url + "/")
        wait_until(lambda: {r["slo"] for r in table_rows(chrome, "overview-table")} == CHECKOUT | PAYMENTS,
                   what="the new SLOs on the overview")
        chrome.get(server.url + "/slo/payments/availability")
        wait_until(lambda: chrome.find_element("id", "tile-sli"), what="the new SLO's page")

        (specs / "checkout.yaml").write_text(BROKEN)
        time.sleep(POLL_S + 0.2)
        assert listed(server.url) == CHECKOUT | PAYMENTS, "checkout's SLOs as they were before the break"
        chrome.get(server.url + "/collection")
        problems = wait_until(lambda: table_rows(chrome, "collection-problems-table"), what="the spec problems")
        assert {p["where"].split(":")[0] for p in problems} == {str(specs / "checkout.yaml")}
        assert "last good SLOs of 1 file(s) are kept" in chrome.find_element("id", "tile-specs").text
        assert severe_console_messages(chrome) == []
    finally:
        server.stop()
        store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVE = """
import logging, sys
from pathlib import Path
from sloboard.settings import Settings
from dashboard.serve import serve
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
serve(Settings(data_dir=Path(sys.argv[1]), specs_dir=Path(sys.argv[2]), api_tokens={"reload": sys.argv[4]}),
      "127.0.0.1", int(sys.argv[3]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX")
def test_sighup_reloads_at_once(tmp_path):
    specs = checkout_folder(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(tmp_path / "data"), str(specs), str(port), TOKEN],
                               cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    try:
        wait_until(lambda: "dashboard on http://" in "".join(lines), timeout=60, what="the server to start")
        assert listed(url) == CHECKOUT
        shutil.copy(SPECS_DIR / "payments.yaml", specs / "payments.yaml")
        process.send_signal(signal.SIGHUP)
        # No request between the change and the log line: the signal did it, not a poll.
        logged = wait_until(lambda: next((line for line in lines if "specs reloaded (SIGHUP)" in line), None),
                            timeout=20, what="the reload's log line")
        assert "added ['payments/availability', 'payments/latency'], removed none, changed none" in logged
        assert listed(url) == CHECKOUT | PAYMENTS
        assert process.poll() is None, "SIGHUP does not end the server"
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=5)
