"""``sloboard db upgrade|prune``: the store's schema and its retention."""

from __future__ import annotations

import click

from .cli_common import CliContext

@click.group()
def db() -> None:
    """Manage the store's database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: CliContext) -> None:
    """Create or migrate the database to the newest schema (other commands do this too)."""
    from .store import Store

    obj.settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(obj.settings.db_url, upgrade=False)
    try:
        revision = store.upgrade()
    finally:
        store.close()
    click.echo(f"database at revision {revision}")


@db.command("prune")
@click.pass_obj
def db_prune(obj: CliContext) -> None:
    """Delete per-step samples older than collect.raw_retention (default 35d; golden
    signals: collect.golden_raw_retention, default 1d) now; `sloboard run` does this
    every hour. Hourly rollups keep the long history for collect.rollup_retention
    (default 400d), golden signals' for collect.golden_hourly_retention (default 90d) and
    their daily rollups after that."""
    from .scheduler import prune_raw_samples

    store = obj.open_store()
    try:
        deleted = prune_raw_samples(obj.settings, store)
    finally:
        store.close()
    collect = obj.settings.collect
    click.echo(f"deleted {deleted} rows: per-step samples older than {collect.raw_retention} "
               f"(golden signals: older than {collect.golden_raw_retention}) and hourly rollups older than "
               f"{collect.rollup_retention} (golden signals: older than {collect.golden_hourly_retention}, "
               f"their daily rollups stay)")
