"""``sloboard collect``: one collection pass from Prometheus into the store, with progress."""

from __future__ import annotations

import sys
import time
from contextlib import closing

import click

from .cli_common import CliContext, parse_cli_time
from .errors import InputError

@click.command(short_help="Pull new data from Prometheus into the store.")
@click.option(
    "--since",
    metavar="DURATION",
    help="How far back the first run of each query reaches (backfill), e.g. 35d. "
    "Default: collect.backfill from the settings (35d). Queries with a watermark resume from it.",
)
@click.option(
    "--until",
    metavar="T",
    help="End the pass at this time (ISO 8601 or epoch) to repeat a backfill exactly. "
    "Default: now minus collect.lag_s, so late samples are not missed.",
)
@click.pass_obj
def collect(obj: CliContext, since: str | None, until: str | None) -> None:
    """Pull new data from Prometheus into the store: SLI counts, golden signals,
    deployments and cost. Incremental: each query continues from its watermark.

    Shows a progress bar on a terminal and one line per query otherwise. A query
    that fails is recorded as a failed run and the others go on; the exit code is
    1 if any failed.

    A backfill that reaches past collect.raw_retention (35d; golden signals:
    collect.golden_raw_retention, 1d) keeps those whole hours as exact hourly sums
    only, as the hourly prune would leave them: a year of history costs its hourly
    rows, not a year of 1-minute steps. Golden signals past
    collect.golden_hourly_retention (90d) keep whole UTC days as daily sums only.
    """
    from collectors.collect import collect_once

    from .domain import parse_duration
    from .wiring import prometheus_source

    settings = obj.settings
    try:
        since_s = int(parse_duration(since or settings.collect.backfill).total_seconds())
    except ValueError as exc:
        raise InputError(f"--since: {exc}") from exc
    end = parse_cli_time(until) if until else int(time.time()) - settings.collect.lag_s
    specs = obj.load_specs()
    for problem in specs.problems:
        if problem.severity == "error":
            click.echo(f"skipped invalid spec: {problem}", err=True)
    store = obj.open_store()
    try:
        with closing(prometheus_source(settings)) as source:
            summary = _run_with_progress(
                lambda on_progress: collect_once(
                    settings, store, specs.slos, source, until=end, since_s=since_s, on_progress=on_progress
                ),
            )
    finally:
        store.close()
    click.echo(
        f"collected {summary.samples} samples from {len(summary.results)} queries; "
        f"{len(summary.failed)} failed",
        err=bool(summary.failed),
    )
    if summary.failed:
        sys.exit(1)


def _run_with_progress(run):
    """A progress bar on a terminal; otherwise one log line per query."""
    bar = None

    def on_progress(result, done: int, count: int) -> None:
        nonlocal bar
        if sys.stderr.isatty():
            if bar is None:
                bar = click.progressbar(length=count, label="collecting", file=sys.stderr)
            bar.update(1)
            if result.error:
                click.echo(f"\nfailed {result.key}: {result.error}", err=True)
            if result.warning:
                click.echo(f"\nwarning {result.key}: {result.warning}", err=True)
            if done == count:
                bar.render_finish()
            return
        if result.error:
            click.echo(f"failed {result.key}: {result.error}", err=True)
        elif result.warning:
            click.echo(f"warning {result.key}: {result.samples} samples, {result.warning}", err=True)
        elif result.up_to_date:
            click.echo(f"{result.key}: up to date", err=True)
        else:
            click.echo(f"{result.key}: {result.samples} samples in {result.seconds:.2f}s", err=True)

    return run(on_progress)
