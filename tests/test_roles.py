"""The role helpers of dashboard/auth/roles.py: the rank viewer < editor < admin, in a
Flask view (403 below the role) and for Dash callbacks (PreventUpdate below it)."""

from __future__ import annotations

from types import SimpleNamespace

import flask
import flask_login
import pytest
from dash.exceptions import PreventUpdate

from dashboard.auth import roles
from dashboard.auth.login import SessionUser
from dashboard.context import EXTENSION_KEY


def _app(anonymous_role=None) -> flask.Flask:
    app = flask.Flask("roles-test")
    app.secret_key = "test"
    flask_login.LoginManager(app).user_loader(lambda name: None)
    app.extensions[EXTENSION_KEY] = SimpleNamespace(settings=SimpleNamespace(auth=SimpleNamespace(
        anonymous_role=anonymous_role)))

    @app.route("/edit")
    @roles.require_role("editor")
    def edit():
        return "edited"

    return app


@pytest.mark.parametrize("role, allowed", [
    ("viewer", {"viewer"}), ("editor", {"viewer", "editor"}), ("admin", {"viewer", "editor", "admin"})])
def test_a_role_holds_itself_and_every_lower_one(role, allowed):
    app = _app()
    with app.test_request_context("/"):
        flask_login.login_user(SessionUser("ana", role))
        assert roles.current_role() == role
        assert {needed for needed in roles.ROLES if roles.has_role(needed)} == allowed


def test_an_anonymous_visitor_has_the_anonymous_role_or_none():
    with _app("viewer").test_request_context("/"):
        assert roles.current_role() == "viewer" and roles.has_role("viewer") and not roles.has_role("editor")
    with _app(None).test_request_context("/"):
        assert roles.current_role() is None and not roles.has_role("viewer")


def test_require_role_answers_403_below_the_role_and_the_view_at_or_above():
    app = _app()
    for role, status, body in [("viewer", 403, "not allowed: this needs the editor role (you are viewer)\n"),
                               ("editor", 200, "edited"), ("admin", 200, "edited")]:
        with app.test_request_context("/edit"):
            flask_login.login_user(SessionUser("ana", role))
            answer = app.make_response(app.view_functions["edit"]())
            assert (answer.status_code, answer.get_data(as_text=True)) == (status, body)


def test_refuse_unless_stops_a_callback_below_the_role():
    with _app().test_request_context("/"):
        flask_login.login_user(SessionUser("ana", "editor"))
        roles.refuse_unless("editor")
        with pytest.raises(PreventUpdate):
            roles.refuse_unless("admin")


def test_an_unknown_role_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown role 'owner': one of viewer, editor, admin"):
        roles.require_role("owner")


def test_callback_requires_marks_the_callback_and_stops_it_below_the_role():
    @roles.callback_requires("editor")
    def build(kind):
        return f"built {kind}"

    assert build.required_role == "editor"
    with _app().test_request_context("/"):
        flask_login.login_user(SessionUser("ana", "editor"))
        assert build("weekly") == "built weekly"
    with _app().test_request_context("/"):
        flask_login.login_user(SessionUser("ana", "viewer"))
        with pytest.raises(PreventUpdate):
            build("weekly")
