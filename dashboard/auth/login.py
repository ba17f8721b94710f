"""The login page (in the dashboard's look), the logout, and the throttle on guessing.

Every attempt is audited: ``login.ok``, ``login.failed`` (a wrong password or an unknown
user: the answer is the same, and an unknown name still costs an Argon2 verification),
``login.throttled``. After ``MAX_FAILURES`` failures for a user name or from an address
within ``WINDOW_S``, further attempts are refused (429) until the oldest one ages out;
the count is read from the audit log, so every worker sees the same one and a restart
forgets nothing. (Flask-Limiter counts per process unless given Redis, and keys requests,
not the user name inside a form.)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import flask
import flask_login
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import escape
from wtforms import ValidationError

from sloboard import credentials
from sloboard.timeparse import iso

MAX_FAILURES = 5
WINDOW_S = 15 * 60
STYLE = (Path(__file__).resolve().parents[1] / "assets" / "style.css").read_text(encoding="utf-8")


class SessionUser(flask_login.UserMixin):
    def __init__(self, name: str, role: str):
        self.id, self.name, self.role = name, name, role


def load_user(ctx, name: str) -> SessionUser | None:
    """Each request reloads the user, so a removed user or a changed role takes effect at once."""
    user = ctx.store.user(name)
    return None if user is None else SessionUser(user.name, user.role)


def register(server: flask.Flask, ctx) -> None:
    @server.route("/login", methods=["GET", "POST"])
    def login():
        if flask.request.method == "GET":
            return _page()
        form = flask.request.form
        name, password = form.get("user", "").strip(), form.get("password", "")
        try:
            validate_csrf(form.get("csrf_token"))
        except (ValidationError, CSRFError):
            return _page("the form expired; please log in again", 400)
        address = flask.request.remote_addr or "?"
        if len(name) > credentials.MAX_USER_NAME_LENGTH:  # no such user can exist: keep the audit entry bounded
            name = name[:credentials.MAX_USER_NAME_LENGTH] + "..."
        retry_at = _throttled(ctx, name, address)
        if retry_at is not None:
            ctx.store.append_audit(f"user:{name}", "login.throttled", {"user": name, "address": address})
            return _page(f"too many failed logins for this user or address: try again after {iso(retry_at)}", 429)
        found = ctx.store.password_hash(name) if credentials.valid_user_name(name) else None
        if found is None:
            credentials.burn_verification_time(password)
            matches, rehash = False, False
        else:
            matches, rehash = credentials.verify_password(found[1], password)
        if not matches:
            ctx.store.append_audit(f"user:{name}", "login.failed", {"user": name, "address": address})
            return _page("wrong user name or password", 401)
        if rehash:
            ctx.store.set_password(name, credentials.hash_password(password), actor=f"user:{name}")
        flask.session.clear()  # a new session on login: no fixation
        flask_login.login_user(SessionUser(found[0].name, found[0].role))
        now = ctx.clock()
        flask.session.permanent = True
        flask.session.update(born=now, seen=now)
        ctx.store.append_audit(f"user:{name}", "login.ok", {"user": name, "address": address})
        return flask.redirect(_safe_next(flask.request.args.get("next")))

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        if flask.request.method == "GET":
            return _logout_page()
        try:
            validate_csrf(flask.request.form.get("csrf_token"))
        except (ValidationError, CSRFError):
            return _logout_page()
        user = flask_login.current_user
        if user.is_authenticated:
            ctx.store.append_audit(f"user:{user.name}", "logout", {"user": user.name})
        flask_login.logout_user()
        flask.session.clear()
        return flask.redirect(flask.url_for("login"))


def _throttled(ctx, name: str, address: str) -> float | None:
    """When attempts for ``name`` or from ``address`` may resume, or None if they may now."""
    now = ctx.clock()
    failures = ctx.store.audit_payloads_since("login.failed", now - WINDOW_S)
    for key, value in (("user", name), ("address", address)):
        times = [f["at"] for f in failures if f.get(key) == value]
        if len(times) >= MAX_FAILURES:
            return times[-MAX_FAILURES] + WINDOW_S
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would lend our login page to phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


_FRAME = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>sloboard: {title}</title>
<style>{style}
.login {{ max-width: 360px; margin: 64px auto; background: var(--card); border: 1px solid var(--border);
          border-radius: 8px; padding: 24px; }}
.login label {{ display: block; margin: 12px 0 4px; color: var(--muted); }}
.login input {{ width: 100%; padding: 8px; border: 1px solid var(--border); border-radius: 6px; font: inherit; }}
.login button {{ margin-top: 16px; width: 100%; padding: 8px; border: 0; border-radius: 6px; background: #1f883d;
                 color: #fff; font: inherit; font-weight: 600; cursor: pointer; }}
.login .error {{ color: var(--bad); background: var(--bad-bg); padding: 8px; border-radius: 6px; }}
</style></head><body><div class="app"><header class="header"><span class="brand">
<span class="brand-mark">◎</span> sloboard</span></header><main class="main">{body}</main></div></body></html>"""


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""<form class="login" method="post" action="{escape(flask.request.full_path.rstrip('?'))}">
<h1>Log in</h1>{message}
<input type="hidden" name="csrf_token" value="{generate_csrf()}">
<label for="user">User</label><input id="user" name="user" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form>"""
    return _FRAME.format(title="log in", style=STYLE, body=body), status


def _logout_page() -> str:
    body = f"""<form class="login" method="post" action="/logout"><h1>Log out</h1>
<input type="hidden" name="csrf_token" value="{generate_csrf()}"><button type="submit">Log out</button></form>"""
    return _FRAME.format(title="log out", style=STYLE, body=body)
