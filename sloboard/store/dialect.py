"""The dialect-specific INSERT, for ``ON CONFLICT`` clauses that both databases speak."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite


def insert(conn: sa.Connection, table: sa.Table):
    """``INSERT`` for ``conn``'s dialect, with ``on_conflict_do_update`` / ``_do_nothing``."""
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    # Imported here: a SQLite user's process never needs the PostgreSQL dialect (~40 ms).
    from sqlalchemy.dialects import postgresql

    return postgresql.insert(table)
