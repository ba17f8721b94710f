"""``Authorization: Bearer <token>`` for machines: a store token with the scope asked for.

Tokens live in the store as SHA-256 digests (``sloboard token create``), so a request is
checked by one indexed lookup of the presented token's digest: a timing difference can
only tell an attacker about a digest they cannot invert. A token must be unrevoked, not
expired and carry the scope; its last use is recorded (at most once a minute).

The old ``api_tokens`` setting still works for this one release, with a warning in the log
on each token's first use: those tokens predate scopes and get every machine scope.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

import flask

from sloboard.credentials import SCOPES, token_digest

log = logging.getLogger(__name__)
_warned: set[str] = set()


@dataclass(frozen=True)
class Refusal:
    message: str
    status: int  # 401: who are you; 403: you may not


def presented_token() -> str | None:
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def authenticate(ctx, scope: str | None) -> tuple[str | None, Refusal | None]:
    """``(name, None)`` for a token allowed ``scope`` (None: any valid token) as ``token:<name>``,
    or a legacy token's bare name; else ``(None, refusal)``.

    Legacy tokens are checked first: they need no store, so the gate can still answer
    (fail closed, or open) to them while the store is down. A StoreError propagates (503).
    """
    assert scope is None or scope in SCOPES, scope
    token = presented_token()
    if token is None:
        needed = "" if scope is None else f" with scope {scope}"
        return None, Refusal(f"this route needs Authorization: Bearer <token>{needed}", 401)
    legacy = _legacy_name(ctx.settings, token)
    if legacy is not None:
        return legacy, None  # named as before: the audit log reads "api:<name>"
    record = ctx.store.token_by_digest(token_digest(token))
    if record is not None:
        if not record.usable_at(ctx.clock()):
            state = "revoked" if record.revoked_at is not None else "expired"
            return None, Refusal(f"token {record.name} is {state}; create a new one with `sloboard token create`", 401)
        if scope is not None and scope not in record.scopes:
            return None, Refusal(f"token {record.name} lacks scope {scope} (it has {' '.join(record.scopes)})", 403)
        ctx.store.touch_token(record.id)
        return f"token:{record.name}", None
    return None, Refusal("unknown bearer token", 401)


def _legacy_name(settings, token: str) -> str | None:
    """The name of a matching token from the deprecated ``api_tokens`` setting."""
    for name, secret in settings.api_tokens.items():
        if hmac.compare_digest(token.encode(), secret.get_secret_value().encode()):
            if name not in _warned:
                _warned.add(name)
                log.warning("the api_tokens setting is deprecated and stops working in the next release: "
                            "replace token %r with `sloboard token create %s --scope deploy:write`", name, name)
            return name
    return None
