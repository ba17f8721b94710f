"""The connection to the database: the SQLAlchemy engine, URL handling, SQLite pragmas, timeouts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ..errors import StoreError

SQLITE_PRAGMAS = (
    # WAL lets the dashboard read while the collector writes; NORMAL is durable across
    # application crashes in WAL mode and avoids an fsync per transaction.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    # Up to 32 MiB of pages per connection (the default keeps 2 MiB): a status at 1,000 SLOs
    # seeks each SLO's rows in about 18 ranges, and with the default the index's inner pages
    # were read again from the OS on every render (8 % of a cold overview's CPU at 1,000 SLOs).
    # The cache fills only as pages are read, so a small store stays small.
    "PRAGMA cache_size=-32768",
)


def default_url(data_dir: str | Path) -> str:
    """The embedded default: ``sqlite:///<data_dir>/sloboard.db`` (absolute path)."""
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / 'sloboard.db'}"


def parse_url(url: str) -> URL:
    """Parse a SQLAlchemy URL; raises StoreError naming the problem (password masked).

    A bare ``postgresql://`` URL gets the psycopg 3 driver, the only one installed.
    """
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreError(f"database URL {mask_url(url)!r} is not a SQLAlchemy URL") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        # Unparseable: drop everything between "://" and "@" so no credential leaks.
        scheme, sep, rest = str(url).partition("://")
        return f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else str(url)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _execute_waiting(cursor, statement: str, timeout_s: float) -> None:
    """Run a pragma, retrying "database is locked" for up to ``timeout_s``.

    Switching a new file to WAL needs an exclusive lock, and SQLite does not call the busy
    handler for it: processes opening a new store together (dashboard workers) would
    otherwise fail at once instead of waiting a moment for each other.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def create_engine(url: URL, *, busy_timeout_s: float, connect_timeout_s: float) -> sa.Engine:
    """An engine for SQLite (file or memory) or PostgreSQL (psycopg 3).

    SQLite: every new connection gets WAL, synchronous=NORMAL, foreign keys and a
    ``busy_timeout`` of ``busy_timeout_s``; pysqlite's own transaction handling is
    switched off so that the store emits BEGIN / BEGIN IMMEDIATE itself (see
    ``Store._transaction``). PostgreSQL: ``connect_timeout`` bounds an unreachable server
    and ``lock_timeout`` (= ``busy_timeout_s``) a lock held by another connection.
    """
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": busy_timeout_s})
        busy_ms = int(busy_timeout_s * 1000)

        @sa.event.listens_for(engine, "connect")
        def _configure(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            for pragma in SQLITE_PRAGMAS:
                _execute_waiting(cursor, pragma, busy_timeout_s)
            cursor.close()

        return engine
    if url.get_backend_name() == "postgresql":
        if url.get_driver_name() != "psycopg":
            raise StoreError(
                f"database URL {mask_url(url)!r}: use the psycopg 3 driver (postgresql+psycopg://...)"
            )
        engine = sa.create_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(connect_timeout_s))}
        )
        lock_ms = int(busy_timeout_s * 1000)

        @sa.event.listens_for(engine, "connect")
        def _configure_pg(dbapi_conn, _record):
            # lock_timeout: the counterpart of SQLite's busy_timeout, give up on a held lock with an error.
            # force_custom_plan: psycopg prepares a statement run five times; once the server has
            # chosen a generic plan for it, a TRUNCATE of a sample table (or an ANALYZE while it is
            # small) makes it plan again for an empty table: a sequential scan, kept while the table
            # fills up. The write's per-key max(ts) then took 39 ms a chunk, more than its COPY.
            dbapi_conn.autocommit = True
            dbapi_conn.execute(f"SET lock_timeout = {lock_ms}; SET plan_cache_mode = force_custom_plan")
            dbapi_conn.autocommit = False

        return engine
    raise StoreError(
        f"database URL {mask_url(url)!r}: unsupported database {url.get_backend_name()!r}; "
        "use sqlite:///path or postgresql+psycopg://..."
    )
