"""An active gate override shows on the SLO page of its service, in a real Chromium, with
who gave it, until when and why; once revoked it is gone. Screenshot:
tests/artifacts/slo-gate-override.png."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.integration.browser import (  # noqa: F401 (chrome is a fixture)
    DashboardServer,
    chrome,
    screenshot,
    wait_for_callbacks,
    wait_until,
)
from tests.test_gate_cli import STEP, seed, write_specs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("gate-page")
    write_specs(home / "specs", ["frozen", "steady"])
    store = Store.open(f"sqlite:///{home / 'var' / 'sloboard.db'}")
    store.sync_slos(load_specs([home / "specs"]).slos)
    now = int(time.time()) // STEP * STEP
    for service in ("frozen", "steady"):
        seed(store, service, now, ends=now + 900)
    server = DashboardServer.start(Settings(data_dir=home / "var", specs_dir=home / "specs"), store=store,
                                   clock=time.time)
    yield server, store
    server.stop()
    store.close()


def _notice(driver) -> str | None:
    found = driver.find_elements(By.ID, "slo-gate-override")
    return found[0].text if found else None


def test_an_active_override_shows_on_the_slo_page_of_its_service_only(chrome, served):
    server, store = served
    until = time.time() + 7200
    store.add_gate_override("frozen", "hotfix for INC-7", until, actor="cli:ana")
    try:
        chrome.get(f"{server.url}/slo/frozen/availability")
        text = wait_until(lambda: _notice(chrome), what="the override notice")
        expected_until = time.strftime("%Y-%m-%d %H:%M", time.gmtime(until))
        assert text == (f"⚑ Deploy gate overridden frozen may deploy whatever its SLOs say, by cli:ana until "
                        f"{expected_until} UTC: hotfix for INC-7")
        screenshot(chrome, "slo-gate-override")
        chrome.get(f"{server.url}/slo/steady/availability")
        wait_for_callbacks(chrome)
        wait_until(lambda: chrome.find_elements(By.ID, "tile-budget"), what="the steady SLO's tiles")
        assert _notice(chrome) is None
    finally:
        store.revoke_gate_overrides("frozen", actor="cli:ana")
    chrome.get(f"{server.url}/slo/frozen/availability")
    wait_for_callbacks(chrome)
    wait_until(lambda: chrome.find_elements(By.ID, "tile-budget"), what="the frozen SLO's tiles")
    assert _notice(chrome) is None
