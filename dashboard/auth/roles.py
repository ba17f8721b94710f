"""Who may do what in the dashboard, checked on the server for every request.

Roles are ranked: a viewer reads; an editor also records deployments and builds or sends
reports; an admin also manages users and tokens and sees the audit page.

- In a Flask view: ``@require_role("editor")`` answers 403 to anyone below it.
- Inside a Dash callback or a page's ``layout``: ``has_role("editor")`` (or
  ``current_role()``); a callback that may not answer raises ``PreventUpdate``
  (``refuse_unless``), a layout returns ``not_allowed(role)``.
- A Dash page registered with ``role="admin"`` (``dash.register_page(..., role=...)``)
  is guarded for everyone at once by ``register``: a GET of its path and a POST to any
  callback defined in its module answer 403 below that role, whatever the page's code does.
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
    if needed not in _RANK:
        raise ValueError(f"unknown role {needed!r}: one of {', '.join(ROLES)}")
    role = current_role()
    return role is not None and _RANK.get(role, -1) >= _RANK[needed]


def refuse_unless(needed: str) -> None:
    """For Dash callbacks: return nothing (``PreventUpdate``) to a user below ``needed``."""
    if not has_role(needed):
        raise PreventUpdate


def forbidden(needed: str) -> flask.Response:
    return flask.Response(f"not allowed: this needs the {needed} role (you are {current_role() or 'anonymous'})\n",
                          403, content_type="text/plain; charset=utf-8")


def require_role(needed: str) -> Callable:
    """Decorate a Flask view so that a user below ``needed`` gets 403, never the view's data."""
    if needed not in _RANK:
        raise ValueError(f"unknown role {needed!r}: one of {', '.join(ROLES)}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            return view(*args, **kwargs) if has_role(needed) else forbidden(needed)

        return guarded

    return decorate


def not_allowed(needed: str) -> html.Div:
    """What a page's layout shows to a user below its role."""
    return html.Div([
        html.H1("Not allowed"),
        html.P(f"This page needs the {needed} role; you are {current_role() or 'not logged in'}. "
               "An admin can change your role with `sloboard user add --role`."),
    ], id="not-allowed", className="panel")


def page_roles() -> dict[str, str]:
    """Dash page module -> the role its ``register_page(..., role=...)`` asks for."""
    return {module: page["role"] for module, page in dash.page_registry.items() if page.get("role")}


def register(app: dash.Dash) -> None:
    """Refuse, before any view or callback runs, what a role-guarded page would answer."""
    roles = page_roles()
    for role in roles.values():
        if role not in _RANK:
            raise ValueError(f"a Dash page asks for unknown role {role!r}: one of {', '.join(ROLES)}")
    paths = [(re.compile(_path_pattern(page.get("path_template") or page["path"])), page["role"])
             for page in dash.page_registry.values() if page.get("role")]

    def callback_role(output: str) -> str | None:
        entry = app.callback_map.get(output)
        return None if entry is None else roles.get(getattr(entry.get("callback"), "__module__", None))

    @app.server.before_request
    def require_page_role():
        request = flask.request
        if request.method == "POST" and request.path == CALLBACK_PATH:
            body = request.get_json(silent=True)
            needed = callback_role(body.get("output", "")) if isinstance(body, dict) else None
        elif request.method in ("GET", "HEAD"):
            needed = next((role for pattern, role in paths if pattern.fullmatch(request.path.rstrip("/") or "/")), None)
        else:
            needed = None
        return None if needed is None or has_role(needed) else forbidden(needed)


def _path_pattern(path: str) -> str:
    """A Dash page path (``/slo/<slo_id>``) as a regular expression of request paths."""
    return re.sub(r"<[^>]+>", "[^/]+", re.escape(path.rstrip("/") or "/"))
