"""Security headers on every answer, by Flask-Talisman.

The CSP needs no 'unsafe-eval': Dash's production bundles and plotly.js run without it
(its dev bundles, with ``debug=True``, would not; we never serve them). Scripts come from
our origin only, plus the hashes of Dash's inline scripts (``Dash.csp_hashes``: the
renderer's start-up line and the clientside callbacks). Styles need 'unsafe-inline': React, Dash's components and
plotly.js set ``style`` attributes and inject ``<style>`` elements at run time.
"""

from __future__ import annotations

import dash
from flask_talisman import Talisman

SELF = "'self'"


def policy(app: dash.Dash) -> dict:
    return {
        "default-src": SELF,
        "script-src": [SELF, *app.csp_hashes()],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],  # plotly draws images as data: URLs (legend, modebar icons)
        "font-src": [SELF, "data:"],
        "connect-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": SELF,
        "frame-ancestors": "'none'",
    }


def register(app: dash.Dash, settings) -> None:
    csp = policy(app)
    Talisman(
        app.server,
        force_https=False,  # TLS ends at the proxy in front; Secure cookies and HSTS follow the setting
        strict_transport_security=settings.secure_cookies,
        session_cookie_secure=settings.secure_cookies,
        session_cookie_http_only=True,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy=csp,
        x_content_type_options=True,
    )
    scripts = csp["script-src"]  # Talisman keeps this very list and renders it on each answer
    hashed = []

    @app.server.before_request
    def hash_inline_scripts():
        # Dash adds the pages' clientside callbacks to its inline scripts at its first
        # request (its own before_request, which runs before this one): hash them then.
        if not hashed:
            scripts[:] = [SELF, *app.csp_hashes()]
            hashed.append(True)
