"""Alembic environment: runs only on a connection passed in by ``sloboard.store.migrate``."""

from __future__ import annotations

from alembic import context

from sloboard.store.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `sloboard db upgrade` (sloboard.store.migrate), not the alembic CLI")

# Batch mode lets later migrations alter SQLite tables (copy-and-move) with the same code.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
