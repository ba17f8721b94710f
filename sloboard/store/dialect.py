"""The dialect-specific INSERT, for ``ON CONFLICT`` clauses that both databases speak."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: sa.Connection, table: sa.Table):
    """``INSERT`` for ``conn``'s dialect, with ``on_conflict_do_update`` / ``_do_nothing``."""
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)
