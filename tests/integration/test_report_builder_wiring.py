"""Each way of starting the dashboard hands its Reports page the report builder of the
composition root (``sloboard.wiring.report_service``): ``sloboard serve`` in one process,
``sloboard serve --workers 2`` (a spawned gunicorn master whose workers get it pickled) and
``gunicorn 'dashboard.wsgi:app'``. An editor's Reports page, asked of whichever worker
answers, shows the build form, and its period hint is computed by the builder in that worker."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from sloboard import credentials
from sloboard.store import Store

from .gunicorn_cluster import CALLBACK, gunicorn_command, serve_command, start_cluster
from .sloboard_cli import cli_env

pytestmark = pytest.mark.integration
ASKS = 6  # each on a fresh connection: with two workers, both answer some of them


def _reports_layout(cluster) -> str:
    """The Reports page's layout as Dash's router renders it for the editor."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/reports"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    return _post(cluster, body).text


def _period_hint(cluster) -> dict:
    body = {"output": "..report-period.placeholder...report-period-hint.children..",
            "outputs": [{"id": "report-period", "property": "placeholder"},
                        {"id": "report-period-hint", "property": "children"}],
            "inputs": [{"id": "report-kind", "property": "value", "value": "monthly"}],
            "changedPropIds": ["report-kind.value"], "state": []}
    return _post(cluster, body).json()["response"]


def _post(cluster, body: dict) -> requests.Response:
    answer = requests.post(cluster.url + CALLBACK, json=body, timeout=60,
                           headers={"Origin": cluster.url, "Connection": "close", "X-Forwarded-User": "ed"})
    assert answer.status_code == 200, answer.text
    return answer


@pytest.mark.parametrize("command, workers", [(serve_command, 1), (serve_command, 2), (gunicorn_command, 2)],
                         ids=["serve", "serve-workers", "gunicorn-wsgi"])
def test_every_entry_point_wires_the_report_builder(tmp_path, command, workers):
    data = tmp_path / "data"
    env = cli_env(data, "http://127.0.0.1:9", auth__trusted_proxies='["127.0.0.1"]', timezone="UTC")
    with Store.open(f"sqlite:///{data / 'sloboard.db'}") as store:  # the data dir's default store
        store.add_user("ed", "editor", credentials.hash_password("a long enough password 9"), actor="test")
    cluster = start_cluster(env, tmp_path, workers=workers, command=command)
    last_month = (datetime.now(timezone.utc).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    try:
        for _ in range(ASKS):
            layout = _reports_layout(cluster)
            assert '"report-builder"' in layout and "report-builder-unavailable" not in layout, layout[:500]
            hint = _period_hint(cluster)
            assert hint["report-period"]["placeholder"] == last_month, hint
            assert f"the last complete period, {last_month}" in hint["report-period-hint"]["children"]
    finally:
        cluster.stop()
