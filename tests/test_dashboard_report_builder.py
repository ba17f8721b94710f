"""The Reports page builds through the report builder the composition root wires, under the
``report:<kind>`` lock the scheduler's report job takes (``reports.service.build_locked``):
while another process holds it, the page's Build says who is building and builds nothing,
and so do the scheduler's job and ``sloboard report``; once it is released they build. A
dashboard started without a builder lists the reports and says that building is
unavailable. Real stores (SQLite and PostgreSQL), a real Dash app answering its callback
over Flask's test client, the real command in a process of its own."""

from __future__ import annotations

import logging

import pytest

from dashboard.app import create_app
from reports.service import build_locked
from sloboard import credentials
from sloboard.errors import ReportBusyError
from sloboard.scheduler import runtime
from sloboard.scheduler.jobs import report_job
from sloboard.store import Store
from sloboard.wiring import report_service
from tests.scheduler_store import MONDAY_MORNING, scheduler_settings
from tests.test_cli import run as run_cli

CALLBACK = "/_dash-update-component"
OTHER = "other-host:4242"  # another machine's process: its lock is not taken over before its lease ends
BUSY = f"a weekly report is being built by {OTHER}; try again in a minute"


def _editor_app(settings, store, reports):
    store.add_user("ed", "editor", credentials.hash_password("a long enough password 9"), actor="test")
    app = create_app(settings, store=store, clock=lambda: MONDAY_MORNING, reports=reports)
    client = app.server.test_client()
    client.get("/")  # Dash wires its page router on the first request
    return app, client


def _press_build(client, period: str = "2026-W46") -> dict:
    """The Build button's callback as the page sends it, from the editor (named by the trusted proxy)."""
    body = {
        "output": "..report-action-result.children...reports-list.children..",
        "outputs": [{"id": "report-action-result", "property": "children"},
                    {"id": "reports-list", "property": "children"}],
        "inputs": [{"id": "report-build", "property": "n_clicks", "value": 1},
                   {"id": "report-send", "property": "n_clicks", "value": None}],
        "state": [{"id": "report-kind", "property": "value", "value": "weekly"},
                  {"id": "report-period", "property": "value", "value": period}],
        "changedPropIds": ["report-build.n_clicks"],
    }
    answer = client.post(CALLBACK, json=body, headers={"X-Forwarded-User": "ed"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["response"]["report-action-result"]["children"]["props"]


def _archived(settings) -> list[str]:
    return sorted(p.name for p in settings.data_dir.rglob("*.pdf"))


@pytest.fixture
def settings(tmp_path, store_url):
    return scheduler_settings(tmp_path, store_url, auth={"trusted_proxies": ["127.0.0.1"], "anonymous_role": None})


def test_the_pages_build_waits_for_the_lock_another_process_holds(settings, store_url):
    store, other = Store.open(store_url), Store.open(store_url)  # the dashboard's, and another process's
    try:
        _, client = _editor_app(settings, store, report_service())
        with other.lock("report:weekly", OTHER):
            shown = _press_build(client)
            assert (shown["id"], shown["children"]) == ("report-action-busy", BUSY)
            assert store.report_runs(limit=None) == [] and _archived(settings) == []
        shown = _press_build(client)
        assert shown["id"] == "report-action-done", shown
        [run] = store.report_runs(limit=None)
        assert (run.kind, run.period, run.status) == ("weekly", "2026-W46", "ok")
        assert _archived(settings) == [run.path.rsplit("/", 1)[-1]]
        with other.lock("report:weekly", OTHER):  # the page's build released the lock
            pass
    finally:
        store.close()
        other.close()


def test_the_scheduler_job_leaves_the_period_to_whoever_holds_the_lock(settings, store_url, caplog):
    runtime.install(settings, clock=lambda: MONDAY_MORNING)
    with Store.open(store_url) as other:
        with other.lock("report:weekly", OTHER), caplog.at_level(logging.INFO, "sloboard.scheduler"):
            report_job("weekly")
        assert other.report_runs(limit=None) == [] and _archived(settings) == []
        assert f"weekly report 2026-W47: not built here: a weekly report is being built by {OTHER}" in caplog.text
        report_job("weekly")
        assert [(r.period, r.status) for r in other.report_runs(limit=None)] == [("2026-W47", "ok")]


def test_builds_of_one_kind_in_one_process_are_kept_apart(sqlite_url):
    # The dashboard's threads and `sloboard run`'s scheduler are one host:pid, which the store's
    # lock lets take it again: the second build must still be refused.
    with Store.open(sqlite_url) as store:
        def nested(kind: str):
            return build_locked(store, kind, "this-host:1", lambda: kind)

        with pytest.raises(ReportBusyError, match="^a weekly report is being built by this-host:1$") as info:
            build_locked(store, "weekly", "this-host:1", lambda: nested("weekly"))
        assert (info.value.kind, info.value.owner) == ("weekly", "this-host:1")
        assert build_locked(store, "weekly", "this-host:1", lambda: nested("monthly")) == "monthly"
        assert build_locked(store, "weekly", "this-host:1", lambda: "again") == "again"  # released after the refusal


def test_a_dashboard_without_a_report_builder_lists_reports_and_builds_none(tmp_path, sqlite_url):
    settings = scheduler_settings(tmp_path, sqlite_url, auth={"trusted_proxies": ["127.0.0.1"], "anonymous_role": None})
    with Store.open(sqlite_url) as store:
        app, client = _editor_app(settings, store, None)
        layout = client.post(CALLBACK, json=_router_body(app), headers={"X-Forwarded-User": "ed"}).get_data(as_text=True)
        assert '"report-builder-unavailable"' in layout and '"report-builder"' not in layout
        assert '"reports-empty"' in layout  # the list is there (empty)
        shown = _press_build(client)
        assert shown["id"] == "report-action-unavailable" and "not available in this dashboard" in shown["children"]
        assert store.report_runs(limit=None) == []


def _router_body(app) -> dict:
    """Dash's page router asked for /reports, as a navigation in the app does."""
    (key,) = [k for k in app.callback_map if "_pages_content.children" in k]
    return {"output": key,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/reports"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


def test_sloboard_report_waits_for_the_lock_too(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}") as other:  # the data dir's default store
        with other.lock("report:weekly", OTHER):
            refused = run_cli(["report", "weekly", "--period", "2026-W46"], tmp_path)
            assert (refused.returncode, refused.stderr) == (1, f"error: a weekly report is being built by {OTHER}\n")
            assert other.report_runs(limit=None) == []
        built = run_cli(["report", "weekly", "--period", "2026-W46"], tmp_path)
        assert built.returncode == 0, built.stderr
        assert [(r.period, r.status) for r in other.report_runs(limit=None)] == [("2026-W46", "ok")]
