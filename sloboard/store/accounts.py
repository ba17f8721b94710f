"""Users and API tokens in the store; each change audited in its own transaction.

A mixin of ``Store`` (it uses the store's transactions and clock), kept apart so the
store's main module stays about samples. Passwords and tokens arrive already hashed
(``sloboard.credentials``): no plaintext ever reaches this module.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from ..errors import InputError
from . import coverage
from .models import api_tokens, users
from .records import ApiToken, User


class AccountsMixin:
    # --- users ------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str, *, actor: str) -> User:
        """Add a user; InputError if the name is taken."""
        def write(conn, audit_log):
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first() is not None:
                raise InputError(f"user {name!r} exists; change its password with `sloboard user passwd {name}`")
            now = float(self._clock())
            row = dict(name=name, role=role, password_hash=password_hash, created_at=now, updated_at=now)
            row_id = conn.execute(sa.insert(users).values(**row).returning(users.c.id)).scalar_one()
            audit_log.append(actor, "user.add", _change(coverage.user_target(name), coverage.user_record(row)))
            return User(row_id, name, role, now, now)

        return self._audited(f"adding user {name}", write)

    def set_password(self, name: str, password_hash: str, *, actor: str) -> None:
        """Replace a user's password hash; InputError for an unknown user."""
        self._change_user(name, {"password_hash": password_hash}, "user.passwd", actor)

    def set_role(self, name: str, role: str, *, actor: str) -> None:
        self._change_user(name, {"role": role}, "user.role", actor)

    def _change_user(self, name: str, values: dict, action: str, actor: str) -> None:
        def write(conn, audit_log):
            row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
            if row is None:
                raise InputError(f"no user {name!r}; see `sloboard user list`")
            new = dict(row) | values | {"updated_at": float(self._clock())}
            conn.execute(sa.update(users).where(users.c.id == row["id"]).values(**values, updated_at=new["updated_at"]))
            audit_log.append(actor, action, _change(coverage.user_target(name), coverage.user_record(new)))

        self._audited(f"changing user {name}", write)

    def remove_user(self, name: str, *, actor: str) -> None:
        def write(conn, audit_log):
            if conn.execute(sa.delete(users).where(users.c.name == name)).rowcount != 1:
                raise InputError(f"no user {name!r}; see `sloboard user list`")
            audit_log.append(actor, "user.remove", _change(coverage.user_target(name), None))

        self._audited(f"removing user {name}", write)

    def users(self) -> list[User]:
        """Every user, by name."""
        query = sa.select(users.c.id, users.c.name, users.c.role, users.c.created_at, users.c.updated_at)
        with self._transaction("reading users", write=False) as conn:
            return [User(*r) for r in conn.execute(query.order_by(users.c.name))]

    def user(self, name: str) -> User | None:
        return next((u for u in self.users() if u.name == name), None)

    def password_hash(self, name: str) -> tuple[User, str] | None:
        """The user and its stored Argon2id hash, for a login; None for an unknown name."""
        with self._transaction("reading a user", write=False) as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            return None
        return User(row.id, row.name, row.role, row.created_at, row.updated_at), row.password_hash

    def audit_payloads_since(self, action: str, since: float) -> list[dict]:
        """The payloads of ``action`` entries from ``since`` on, oldest first, each with its ``at``
        (the login throttle counts failures here: one place, shared by every worker)."""
        from .models import audit_log

        query = (sa.select(audit_log.c.at, audit_log.c.payload)
                 .where(audit_log.c.action == action, audit_log.c.at >= float(since)).order_by(audit_log.c.id))
        with self._transaction(f"reading {action} audit entries", write=False) as conn:
            return [json.loads(payload) | {"at": at} for at, payload in conn.execute(query)]

    # --- API tokens ---------------------------------------------------------------------

    def add_token(self, name: str, token_sha256: str, scopes: tuple[str, ...], expires_at: float, *,
                  actor: str) -> ApiToken:
        """Store a new token's digest; InputError if the name is taken (revoked ones too)."""
        def write(conn, audit_log):
            if conn.execute(sa.select(api_tokens.c.id).where(api_tokens.c.name == name)).first() is not None:
                raise InputError(f"a token named {name!r} exists; pick another name or revoke and rename")
            now = float(self._clock())
            row = dict(name=name, token_sha256=token_sha256, scopes=" ".join(scopes), created_by=actor,
                       created_at=now, expires_at=float(expires_at), revoked_at=None, last_used_at=None)
            row_id = conn.execute(sa.insert(api_tokens).values(**row).returning(api_tokens.c.id)).scalar_one()
            audit_log.append(actor, "token.create", _change(coverage.token_target(name), coverage.token_record(row)))
            return _token(dict(row, id=row_id))

        return self._audited(f"creating token {name}", write)

    def revoke_token(self, name: str, *, actor: str) -> None:
        def write(conn, audit_log):
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.name == name)).mappings().first()
            if row is None:
                raise InputError(f"no token {name!r}; see `sloboard token list`")
            if row["revoked_at"] is not None:
                return
            now = float(self._clock())
            conn.execute(sa.update(api_tokens).where(api_tokens.c.id == row["id"]).values(revoked_at=now))
            record = coverage.token_record(dict(row) | {"revoked_at": now})
            audit_log.append(actor, "token.revoke", _change(coverage.token_target(name), record))

        self._audited(f"revoking token {name}", write)

    def tokens(self) -> list[ApiToken]:
        """Every token (revoked and expired ones too), by name."""
        with self._transaction("reading API tokens", write=False) as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.name)).mappings().all()
        return [_token(r) for r in rows]

    def token_by_digest(self, token_sha256: str) -> ApiToken | None:
        with self._transaction("looking up an API token", write=False) as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_sha256 == token_sha256)).mappings().first()
        return None if row is None else _token(row)

    def touch_token(self, token_id: int, *, every_s: float = 60.0) -> None:
        """Record a token's use now; at most one write per ``every_s`` per token (not audited)."""
        now = float(self._clock())
        recent = sa.and_(api_tokens.c.last_used_at.is_not(None), api_tokens.c.last_used_at > now - every_s)
        with self._transaction("recording a token's use", write=True) as conn:
            conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id, sa.not_(recent))
                         .values(last_used_at=now))


def _change(target: str, record: dict | None) -> dict:
    return {"target": target, "record": record}


def _token(row) -> ApiToken:
    return ApiToken(row["id"], row["name"], tuple(row["scopes"].split()), row["created_by"], row["created_at"],
                    row["expires_at"], row["revoked_at"], row["last_used_at"])
