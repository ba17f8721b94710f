"""Running the Alembic migrations programmatically (no alembic.ini needed).

The migrations live in ``migrations/`` next to this file and run on a connection the
store hands in, inside the store's own transaction, so an upgrade either completes
or leaves the schema as it was (both SQLite and PostgreSQL have transactional DDL).
A new revision is written with ``alembic.command.revision(alembic_config(conn),
autogenerate=True, message=...)`` on a connection to a database at head.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x510B0A00  # PostgreSQL advisory lock held while migrating


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at our scripts; ``env.py`` uses ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of sloboard."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection) -> str:
    """Migrate to head on ``connection`` (inside its open transaction); returns the revision.

    Several processes may start at once (dashboard workers): on PostgreSQL they queue on
    an advisory lock and the later ones find the schema at head; on SQLite the store's
    ``BEGIN IMMEDIATE`` already serialises them.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    command.upgrade(alembic_config(connection), "head")
    revision = current_revision(connection)
    assert revision is not None
    return revision
