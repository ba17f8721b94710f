"""``sloboard serve`` (the dashboard only) and ``sloboard run`` (collection on a schedule and the dashboard)."""

from __future__ import annotations

import click

from .cli_common import CliContext, log_to_stderr, note_demo_settings, serve_options
from .wiring import open_store, report_service

workers_option = click.option(
    "--workers", type=click.IntRange(1, 64), default=None,
    help="Dashboard worker processes (default: server.workers); above 1 they are served by gunicorn.")


@click.command(short_help="Serve the dashboard only.")
@serve_options
@workers_option
@click.pass_obj
def serve(obj: CliContext, host: str, port: int, workers: int | None) -> None:
    """Serve the dashboard only (no collection, no reports). Ctrl-C stops it.

    With --workers N (N > 1) gunicorn serves it with N workers; set cache.url to a Redis
    so that they share what they compute (docs/operations.md, "Scale out")."""
    from dashboard.serve import serve as serve_dashboard

    log_to_stderr(obj.settings)
    note_demo_settings(obj.settings)
    click.echo(f"dashboard on http://{host}:{port}", err=True)
    serve_dashboard(obj.settings, host, port, workers=workers, reports=report_service())


@click.command(short_help="Collect and build reports on a schedule, and serve the dashboard.")
@serve_options
@workers_option
@click.option("--scheduler-only", is_flag=True,
              help="Run the scheduler without the dashboard (scale-out: one of these, dashboards by `sloboard serve`).")
@click.pass_obj
def run(obj: CliContext, host: str, port: int, workers: int | None, scheduler_only: bool) -> None:
    """Production mode: the scheduler (collect every collect.interval_s, the reports at
    scheduler.report_time, mail retries, the hourly prune) and the dashboard in one
    process. Several processes may share one database; each job is done by one of them."""
    from .scheduler import run_until_stopped, start_scheduler

    log_to_stderr(obj.settings)
    obj.settings.data_dir.mkdir(parents=True, exist_ok=True)
    note_demo_settings(obj.settings)
    open_store(obj.settings).close()  # migrated before the jobs start
    scheduler = start_scheduler(obj.settings)
    if scheduler_only:
        click.echo(f"scheduler only: collecting every {obj.settings.collect.interval_s}s", err=True)
        run_until_stopped(scheduler)
        return
    from dashboard.serve import serve as serve_dashboard

    click.echo(f"collecting every {obj.settings.collect.interval_s}s; dashboard on http://{host}:{port}", err=True)
    try:
        serve_dashboard(obj.settings, host, port, workers=workers, reports=report_service())
    finally:
        scheduler.shutdown(wait=False)
