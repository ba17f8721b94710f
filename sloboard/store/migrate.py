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

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x510B0A00  # PostgreSQL advisory lock held while migrating

# Alembic is imported only when a migration may be needed: importing it and reading the
# scripts costs every short command (``sloboard status``) a few hundred milliseconds.


def shipped_head() -> str:
    """The newest revision shipped, read from the file names (``0002_hourly_rollups.py``).

    Revisions form one chain numbered in file-name order; a test checks that this agrees
    with Alembic's own idea of the head, so a misnamed script cannot slip through.
    """
    names = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))
    return names[-1].split("_", 1)[0]


def is_at_head(connection: sa.Connection) -> bool:
    """True when the database already carries the shipped head (one SELECT, no Alembic)."""
    return _revisions(connection) == [shipped_head()]


def _revisions(connection: sa.Connection) -> list[str]:
    if not sa.inspect(connection).has_table("alembic_version"):
        return []
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()


def alembic_config(connection: sa.Connection | None = None):
    """An Alembic config pointing at our scripts; ``env.py`` uses ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of sloboard, as Alembic reads it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None for an empty database.

    A plain SELECT, not Alembic's migration context: ``/readyz`` asks this on every
    probe, and the context logs two INFO lines each time it is made.
    """
    revisions = _revisions(connection)
    if len(revisions) > 1:  # one linear chain is shipped; several heads mean a damaged table
        raise RuntimeError(f"alembic_version holds several revisions {revisions}; expected one")
    return revisions[0] if revisions else None


def upgrade(connection: sa.Connection) -> str:
    """Migrate to head on ``connection`` (inside its open transaction); returns the revision.

    Several processes may start at once (dashboard workers): on PostgreSQL they queue on
    an advisory lock and the later ones find the schema at head; on SQLite the store's
    ``BEGIN IMMEDIATE`` already serialises them.
    """
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    command.upgrade(alembic_config(connection), "head")
    revision = current_revision(connection)
    assert revision is not None
    return revision
