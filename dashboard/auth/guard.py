"""The check in front of every request: public, bearer (``/api/``), or a live session.

Without a session a page GET is sent to the login page (302) and everything else is
401, so no Dash route (layout, dependencies, callbacks, component suites) answers an
anonymous request with data.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import flask
import flask_login

from sloboard.domain import parse_duration

PUBLIC = {"healthz", "readyz", "metrics", "login", "logout"}
API_PREFIX = "/api/"
PAGE_ENDPOINTS = {"/", "/<path:path>"}  # Dash's page routes: a browser is sent to the login page


def seconds(duration: str) -> int:
    return int(parse_duration(duration).total_seconds())


def register(server: flask.Flask, ctx) -> None:
    settings = ctx.settings.auth
    idle_s, absolute_s = seconds(settings.idle_timeout), seconds(settings.absolute_timeout)

    @server.before_request
    def require_login():
        request = flask.request
        if request.endpoint in PUBLIC:
            return _metrics_token(settings) if request.endpoint == "metrics" else None
        if request.path.startswith(API_PREFIX):
            return None  # bearer tokens, checked by the API blueprint
        _expire(ctx, idle_s, absolute_s)
        if not flask_login.current_user.is_authenticated:
            refusal = _trusted_proxy(ctx)
            if refusal is not None:
                return refusal
        if flask_login.current_user.is_authenticated or settings.anonymous_role is not None:
            return None if request.method in ("GET", "HEAD") else same_origin()
        if request.method == "GET" and request.endpoint in PAGE_ENDPOINTS:
            return flask.redirect(flask.url_for("login", next=request.full_path.rstrip("?")))
        return flask.Response("login required: open /login\n", 401, content_type="text/plain; charset=utf-8")


def _expire(ctx, idle_s: int, absolute_s: int) -> None:
    """End a session idle for too long or older than the absolute limit; else mark it seen."""
    if not flask_login.current_user.is_authenticated:
        return
    now = ctx.clock()
    session = flask.session
    if now - session.get("seen", 0) > idle_s or now - session.get("born", 0) > absolute_s:
        flask_login.logout_user()
        session.clear()
        return
    session["seen"] = now


def same_origin() -> flask.Response | None:
    """Refuse a state-changing request that a page of another site could have sent."""
    request = flask.request
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    own = urlsplit(request.host_url)
    if site is not None and site not in ("same-origin", "none"):
        return _forbidden(f"cross-site request refused (Sec-Fetch-Site: {site})")
    if origin is not None and (urlsplit(origin).scheme, urlsplit(origin).netloc) != (own.scheme, own.netloc):
        return _forbidden("cross-site request refused (Origin is another site)")
    if request.endpoint not in ("login", "logout") and not request.is_json:
        return _forbidden("state-changing requests to the dashboard are JSON (Dash callbacks)")
    return None


def _forbidden(message: str) -> flask.Response:
    return flask.Response(message + "\n", 403, content_type="text/plain; charset=utf-8")


def _trusted_proxy(ctx) -> flask.Response | None:
    """Log in the user a configured proxy names; the header from anyone else is ignored."""
    settings = ctx.settings.auth
    name = flask.request.headers.get(settings.proxy_user_header, "").strip()
    if not name or flask.request.remote_addr not in settings.trusted_proxies:
        return None
    from .login import load_user

    user = load_user(ctx, name)
    if user is None:
        return _forbidden(f"user {name!r} named by the proxy is not a sloboard user; add it with sloboard user add")
    flask_login.login_user(user)
    now = ctx.clock()
    flask.session.update(born=now, seen=now)
    ctx.store.append_audit(f"user:{name}", "login.proxy", {"user": name, "address": flask.request.remote_addr})
    return None


def _metrics_token(settings) -> flask.Response | None:
    if settings.metrics_token is None:
        return None
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected):
        return None
    return flask.Response("/metrics needs Authorization: Bearer <auth.metrics_token>\n", 401,
                          content_type="text/plain; charset=utf-8")

