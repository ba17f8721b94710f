"""Who may open the dashboard: ``install(app, ctx)`` puts a login in front of every page,
every Dash route and the component suites, and security headers on every answer.

- Sessions: Flask-Login over Flask's signed cookie (HttpOnly, SameSite=Lax, Secure by
  setting), ended after ``auth.idle_timeout`` without a request and ``auth.absolute_timeout``
  after the login (``guard.py``).
- The login form (``login.py``) carries a CSRF token (Flask-WTF); failed logins are
  audited and throttled from the audit log.
- Dash's callback POSTs carry no form token; a cross-site page cannot pass their check
  (``guard.same_origin``): the session cookie is SameSite=Lax, the body must be JSON (a
  cross-site form cannot send it without a CORS preflight, which we never answer) and
  Origin / Sec-Fetch-Site must name this site.
- Roles (``roles.py``): viewer < editor < admin; ``require_role`` for Flask views,
  ``has_role`` inside Dash callbacks, ``register_page(..., role=...)`` for whole pages.
- Headers (``headers.py``): Flask-Talisman with a CSP that Dash runs under.
- Public: ``/healthz``, ``/readyz``, ``/metrics`` (a token if ``auth.metrics_token``), the
  login page. ``/api/`` takes bearer tokens (``dashboard.bearer``), not sessions.
"""

from __future__ import annotations

import dash
import flask_login

from . import guard, headers, login, roles, session_key


def install(app: dash.Dash, ctx) -> None:
    server = app.server
    settings = ctx.settings.auth
    server.config.update(
        SECRET_KEY=session_key.secret(ctx.settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="sloboard_session",
        PERMANENT_SESSION_LIFETIME=guard.seconds(settings.absolute_timeout),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which expires on its own
    )
    manager = flask_login.LoginManager(server)
    manager.user_loader(lambda name: login.load_user(ctx, name))
    login.register(server, ctx)
    guard.register(server, ctx)
    roles.register(app)  # after the login check: no login is 302/401, a role too low is 403
    headers.register(app, settings)
