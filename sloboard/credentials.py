"""Passwords, API tokens, roles and scopes: the pure part of who may do what.

- Passwords are hashed with Argon2id (argon2-cffi) at OWASP's first recommended setting
  (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1), so a stolen store costs an attacker
  ~19 MiB and two passes per guess. ``verify_password`` says when a stored hash was made
  with other parameters, so a login can rehash it.
- API tokens are 32 random bytes (256 bits). They are stored as SHA-256 digests, not with
  Argon2: a slow hash protects guessable secrets, and nobody guesses 2^256; a plain digest
  can be looked up by an index and costs a request microseconds, not 50 ms.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("viewer", "editor", "admin")  # each one may do all that the ones before it may
SCOPES = ("deploy:write", "gate:read", "status:read")
TOKEN_PREFIX = "slb_"  # lets secret scanners (and people) recognise a leaked token
MIN_PASSWORD_LENGTH = 12
MAX_USER_NAME_LENGTH = 64
# Letters (any script), digits and ._@+-, starting with a letter or digit: e-mail-like
# names work, and no name carries spaces, quotes or control characters into logs.
_USER_NAME = re.compile(rf"[^\W_][\w.@+-]{{0,{MAX_USER_NAME_LENGTH - 1}}}")

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password`` (salted). Raises ValueError for a weak one."""
    check_password(password)
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    """Raise ValueError (one line, without the password) unless it is long enough to keep."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def valid_user_name(name: str) -> bool:
    return _USER_NAME.fullmatch(name) is not None


def check_user_name(name: str) -> str:
    """``name`` if it can name a user; else ValueError saying what a name may hold."""
    if not valid_user_name(name):
        raise ValueError(f"a user name is 1 to {MAX_USER_NAME_LENGTH} letters, digits or . _ @ + -, "
                         f"starting with a letter or digit; got {name[:MAX_USER_NAME_LENGTH]!r}"
                         + ("..." if len(name) > MAX_USER_NAME_LENGTH else ""))
    return name


def verify_password(stored_hash: str, password: str) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``; a malformed stored hash never matches."""
    try:
        _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, _HASHER.check_needs_rehash(stored_hash)


# Verifying against this when the user does not exist keeps a wrong name as slow as a
# wrong password, so response times do not tell which user names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def burn_verification_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    """A fresh API token: the prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def role_allows(role: str, needed: str) -> bool:
    """True when ``role`` is ``needed`` or above it (viewer < editor < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return role


def check_scopes(scopes) -> tuple[str, ...]:
    """The scopes, sorted and once each; ValueError naming an unknown one."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scope {unknown[0]!r}; use {', '.join(SCOPES)}" if unknown
                         else f"a token needs at least one scope: {', '.join(SCOPES)}")
    return tuple(sorted(set(scopes)))
