"""Who may do what in the dashboard, checked on the server for every request.

Roles are ranked: a viewer reads; an editor also records deployments and builds or sends
reports; an admin also manages users and tokens and sees the audit page.

- In a Flask view: ``@require_role("editor")`` answers 403 to anyone below it.
- A Dash callback: ``@callback_requires("editor")`` under ``@app.callback(...)``; a POST
  to it answers 403 below the role (``register``), and the function itself returns nothing
  (``PreventUpdate``) if it is ever reached.
- Inside a callback or a page's ``layout``: ``has_role("editor")`` (or ``current_role()``,
  ``refuse_unless``); a layout returns ``not_allowed(role)`` to a user below it.
- A Dash page registered with ``role="admin"`` (``dash.register_page(..., role=...)``)
  is guarded for everyone at once by ``register``: a GET of its path and a POST to any
  callback defined in its module answer 403 below that role, whatever the page's code does.

Each guarded view or callback carries its role as ``required_role``, so a test can hold
every route and callback of the app to what it should answer (``needed_for_callback``).
"""

from __future__ import annotations

import functools
import re
from typing import Callable

import dash
import flask
import flask_login
from dash import html
from dash.exceptions import PreventUpdate

ROLES = ("viewer", "editor", "admin")  # lowest first
_RANK = {role: rank for rank, role in enumerate(ROLES)}
CALLBACK_PATH = "/_dash-update-component"


def current_role() -> str | None:
    """The role of the request's user: its own after a login, ``auth.anonymous_role`` without one."""
    user = flask_login.current_user
    if user.is_authenticated:
        return user.role
    from dashboard.context import current

    return current().settings.auth.anonymous_role


def has_role(needed: str) -> bool:
    """Whether the request's user holds ``needed`` or a higher role."""
    role = current_role()
    return role is not None and _RANK.get(role, -1) >= _RANK[_known(needed)]


def refuse_unless(needed: str) -> None:
    """For Dash callbacks: return nothing (``PreventUpdate``) to a user below ``needed``."""
    if not has_role(needed):
        raise PreventUpdate


def forbidden(needed: str) -> flask.Response:
    return flask.Response(f"not allowed: this needs the {needed} role (you are {current_role() or 'anonymous'})\n",
                          403, content_type="text/plain; charset=utf-8")


def _known(needed: str) -> str:
    if needed not in _RANK:
        raise ValueError(f"unknown role {needed!r}: one of {', '.join(ROLES)}")
    return needed


def require_role(needed: str) -> Callable:
    """Decorate a Flask view so that a user below ``needed`` gets 403, never the view's data."""
    _known(needed)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            return view(*args, **kwargs) if has_role(needed) else forbidden(needed)

        guarded.required_role = needed
        return guarded

    return decorate


def callback_requires(needed: str) -> Callable:
    """Decorate a Dash callback (below ``@app.callback``) so that it answers only ``needed`` and up."""
    _known(needed)

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            refuse_unless(needed)
            return fn(*args, **kwargs)

        guarded.required_role = needed  # Dash's wrapper copies it (functools.wraps): register reads it there
        return guarded

    return decorate


def not_allowed(needed: str) -> html.Div:
    """What a page's layout shows to a user below its role."""
    return html.Div([
        html.H1("Not allowed"),
        html.P(f"This page needs the {needed} role; you are {current_role() or 'not logged in'}. "
               "Ask an admin for that role."),
    ], id="not-allowed", className="panel")


def page_roles() -> dict[str, str]:
    """Dash page module -> the role its ``register_page(..., role=...)`` asks for."""
    return {module: _known(page["role"]) for module, page in dash.page_registry.items() if page.get("role")}


def needed_for_callback(app: dash.Dash, output: str) -> str | None:
    """The role a POST for the callback of ``output`` (its key in ``app.callback_map``) needs:
    the higher of its page's and its own ``callback_requires``; None for any session."""
    fn = app.callback_map.get(output, {}).get("callback")
    found = [page_roles().get(getattr(fn, "__module__", None)), getattr(fn, "required_role", None)]
    return max((r for r in found if r), key=_RANK.__getitem__, default=None)


def register(app: dash.Dash) -> None:
    """Refuse, before any view or callback runs, what a role-guarded page or callback would answer."""
    paths = [(re.compile(_path_pattern(page.get("path_template") or page["path"])), _known(page["role"]))
             for page in dash.page_registry.values() if page.get("role")]

    @app.server.before_request
    def require_page_role():
        request = flask.request
        if request.method == "POST" and request.path == CALLBACK_PATH:
            body = request.get_json(silent=True)
            output = body.get("output") if isinstance(body, dict) else None
            needed = needed_for_callback(app, output) if isinstance(output, str) else None
        elif request.method in ("GET", "HEAD"):
            needed = next((role for pattern, role in paths if pattern.fullmatch(request.path.rstrip("/") or "/")), None)
        else:
            needed = None
        return None if needed is None or has_role(needed) else forbidden(needed)


def _path_pattern(path: str) -> str:
    """A Dash page path (``/slo/<slo_id>``) as a regular expression of request paths."""
    return re.sub(r"<[^>]+>", "[^/]+", re.escape(path.rstrip("/") or "/"))
