"""The first requests a threaded worker serves at once all succeed: Dash's set-up, which
runs unguarded in the first request, is done while the app is built (``create_app``)."""

from __future__ import annotations

import threading

from dashboard.app import complete_dash_setup, create_app
from sloboard.settings import Settings
from sloboard.store import Store


def test_concurrent_first_requests_of_a_new_app_all_succeed(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'first.db'}") as store:
        app = create_app(Settings(data_dir=tmp_path, specs_dir=tmp_path, auth={"anonymous_role": "viewer"}),
                         store=store)
        # Dash's own flag: its set-up ran before any request of ours.
        assert app._got_first_request == {"pages": True, "setup_server": True}
        # ... and without a request: Flask still takes routes (tests add some).
        app.server.add_url_rule("/test-added-later", "test_added_later", lambda: "added")
        paths = ("/metrics", "/_dash-layout", "/_dash-dependencies", "/", "/test-added-later") * 2
        start, statuses = threading.Barrier(len(paths)), []

        def first_request(path: str) -> None:
            client = app.server.test_client()
            start.wait()
            statuses.append((path, client.get(path).status_code))

        threads = [threading.Thread(target=first_request, args=(path,))
                   for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(statuses) == sorted((path, 200) for path in paths)


def test_only_dashs_own_hooks_run_while_the_app_is_built(tmp_path):
    """Our hooks (login, spec reload: package ``dashboard``) run in requests only."""
    with Store.open(f"sqlite:///{tmp_path / 'hooks.db'}") as store:
        app = create_app(Settings(data_dir=tmp_path, specs_dir=tmp_path, auth={"anonymous_role": "viewer"}),
                         store=store)
        called = []

        def ours() -> None:
            called.append(True)

        ours.__module__ = "dashboard.auth.guard"
        app.server.before_request_funcs[None].append(ours)
        complete_dash_setup(app)
        assert called == []
        assert app.server.test_client().get("/healthz").status_code == 200
        assert called == [True]
