"""``sloboard deploy record`` and ``sloboard cost import``: records that Prometheus does not have."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import CliContext, cli_actor, parse_cli_time
from .errors import InputError

@click.group()
def deploy() -> None:
    """Record deployments (for DORA metrics and the markers on charts)."""


@deploy.command("record")
@click.option("--service", required=True, help="The service that was deployed.")
@click.option("--version", "version", required=True, help="The version or image tag deployed.")
@click.option(
    "--status",
    required=True,
    type=click.Choice(["succeeded", "success", "failed", "rolled_back", "rollback"]),
    help="How the deployment ended. A rollback counts as a failed change.",
)
@click.option("--commit", metavar="SHA", help="The commit deployed.")
@click.option("--committed", metavar="T", help="When that commit was made; gives the lead time.")
@click.option("--started", metavar="T", default="now", show_default=True, help="When the deployment started.")
@click.option("--finished", metavar="T", help="When it finished. Default: --started.")
@click.pass_obj
def deploy_record(obj: CliContext, service, version, status, commit, committed, started, finished) -> None:
    """Record one deployment. Recording the same service, version and start twice
    stores it once. Times: ISO 8601, epoch seconds, now or now-<duration>."""
    from datetime import datetime, timezone

    from .deployments import record_deployment
    from .domain import Deployment, DeployStatus

    def to_dt(text):
        return datetime.fromtimestamp(parse_cli_time(text), tz=timezone.utc) if text else None

    began = to_dt(started)
    ended = to_dt(finished) or began
    if ended < began:
        raise InputError("--finished is before --started")
    d = Deployment(service, version, DeployStatus.parse(status), began, ended, "cli", commit, to_dt(committed))
    store = obj.open_store()
    try:
        new = record_deployment(store, d, actor=cli_actor(), audit_repeats=False, audit_payload={
            "service": service, "version": version, "status": d.status.value,
            "started_at": began.isoformat(), "finished_at": ended.isoformat(), "commit": commit,
        })
    finally:
        store.close()
    click.echo(f"{'recorded' if new else 'already recorded'}: {service} {version} {d.status.value}")


@click.group()
def cost() -> None:
    """Import cost data that Prometheus does not have."""


@cost.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def cost_import(obj: CliContext, file: Path) -> None:
    """Import a cloud bill from a CSV FILE with columns date, usd (or cost) and one of
    service, team or namespace. Every bad row is reported with its line; a file with
    a bad row imports nothing. Importing the same file again changes nothing."""
    from collectors.cost_csv import import_bill, read_bill

    rows = read_bill(file)
    store = obj.open_store()
    try:
        written = import_bill(store, rows)
    finally:
        store.close()
    click.echo(f"imported {written} cost rows, {rows.total_usd:.2f} USD")
