"""Turning driver and SQLAlchemy errors into one-line ``StoreError`` messages.

Every public store method runs inside ``guard``; a message says which database
(password masked), what the store was doing, and what the driver reported (its first
line only: no SQL, no parameters, no traceback).
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

from ..errors import StoreError, StoreUnavailable


def database_errors() -> tuple[type[BaseException], ...]:
    """What ``guard`` turns into ``StoreError``. The bulk paths talk to the DBAPI connection
    directly, so driver errors arrive unwrapped. psycopg's can only come from psycopg,
    which only a PostgreSQL store imports: a SQLite user's process never loads it (~70 ms)."""
    psycopg = sys.modules.get("psycopg")
    return (sa.exc.SQLAlchemyError, sqlite3.Error) + ((psycopg.Error,) if psycopg is not None else ())


def describe(exc: BaseException) -> str:
    """The driver's own first line, with a hint for the common operational failures."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = text.lower()
    if "database is locked" in lowered or "database table is locked" in lowered:
        return f"{text} (another connection holds a write transaction; gave up after the busy timeout)"
    if "lock timeout" in lowered:
        return f"{text} (another connection holds a lock; gave up after the lock timeout)"
    if "connection refused" in lowered or "could not connect" in lowered or "timeout expired" in lowered:
        return f"cannot connect: {text}"
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return f"{text} (schema not created; run `sloboard db upgrade`)"
    return text


def unavailable(exc: BaseException) -> bool:
    """True for a database that is busy or unreachable for now (SQLite locked past the busy
    timeout; PostgreSQL refusing, dropping or shutting down connections, or a lock timeout),
    where the same work may succeed a moment later; False for a missing table, bad SQL, ...."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(orig, psycopg.OperationalError)


@contextmanager
def guard(database: str, doing: str) -> Iterator[None]:
    """Re-raise database errors as ``StoreError("<database>: <doing> failed: <reason>")``
    (``StoreUnavailable`` when it is ``unavailable``)."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, database_errors()):
            kind = StoreUnavailable if unavailable(exc) else StoreError
            raise kind(f"database {database}: {doing} failed: {describe(exc)}") from exc
        raise
