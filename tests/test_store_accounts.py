"""Users and API tokens in the store, on SQLite and PostgreSQL: hashed, audited, never plaintext."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sloboard import credentials
from sloboard.errors import InputError

PASSWORD = "correct horse battery staple"


def test_a_password_is_stored_as_argon2id_at_owasp_parameters_and_verifies(store):
    store.add_user("ana", "editor", credentials.hash_password(PASSWORD), actor="test")
    user, stored = store.password_hash("ana")
    assert (user.name, user.role) == ("ana", "editor")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and PASSWORD not in stored
    assert credentials.verify_password(stored, PASSWORD) == (True, False)
    assert credentials.verify_password(stored, PASSWORD + "!") == (False, False)
    assert credentials.verify_password("not a hash", PASSWORD) == (False, False)


def test_a_hash_made_with_weaker_parameters_asks_for_a_rehash():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert credentials.verify_password(old, PASSWORD) == (True, True)


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_a_short_password_is_refused_without_echoing_it(password):
    with pytest.raises(ValueError, match="at least 12 characters") as caught:
        credentials.hash_password(password)
    assert not password or password not in str(caught.value)


def test_users_are_added_changed_removed_and_each_change_is_audited(store):
    store.add_user("ana", "viewer", credentials.hash_password(PASSWORD), actor="cli:root")
    with pytest.raises(InputError, match="user 'ana' exists"):
        store.add_user("ana", "admin", credentials.hash_password(PASSWORD), actor="cli:root")
    store.set_password("ana", credentials.hash_password("another long password"), actor="cli:root")
    store.set_role("ana", "admin", actor="cli:root")
    assert [(u.name, u.role) for u in store.users()] == [("ana", "admin")]
    store.remove_user("ana", actor="cli:root")
    assert store.users() == [] and store.password_hash("ana") is None
    with pytest.raises(InputError, match="no user 'ana'"):
        store.remove_user("ana", actor="cli:root")
    actions = [e.action for e in reversed(store.audit_entries())]
    assert actions == ["user.add", "user.passwd", "user.role", "user.remove"]
    assert all(e.payload["target"] == "user:ana" for e in store.audit_entries())
    assert store.verify_audit() == (True, None)


def test_a_token_is_kept_as_its_sha256_scoped_expiring_and_revocable(store, store_url, clock):
    secret = credentials.new_token()
    digest = credentials.token_digest(secret)
    created = store.add_token("ci", digest, ("deploy:write",), clock() + 86400, actor="cli:root")
    assert created.usable_at(clock()) and not created.usable_at(clock() + 86400)
    found = store.token_by_digest(digest)
    assert found is not None and found.scopes == ("deploy:write",) and found.last_used_at is None
    store.touch_token(found.id)
    clock.advance(10)
    store.touch_token(found.id)  # within a minute: no second write
    assert store.token_by_digest(digest).last_used_at == clock() - 10
    store.revoke_token("ci", actor="cli:root")
    assert not store.token_by_digest(digest).usable_at(clock())
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            dumped = " ".join(str(v) for table in ("api_tokens", "audit_log")
                              for row in conn.exec_driver_sql(f"SELECT * FROM {table}") for v in row)
    finally:
        engine.dispose()
    assert secret not in dumped and secret[len(credentials.TOKEN_PREFIX):] not in dumped
    assert [e.action for e in store.audit_entries()] == ["token.revoke", "token.create"]


def test_scopes_and_roles_are_checked():
    assert credentials.check_scopes(["gate:read", "deploy:write", "gate:read"]) == ("deploy:write", "gate:read")
    with pytest.raises(ValueError, match="unknown scope 'admin'"):
        credentials.check_scopes(["admin"])
    assert credentials.role_allows("admin", "editor") and not credentials.role_allows("viewer", "editor")
