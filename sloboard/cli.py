"""The ``sloboard`` command: thin commands that parse, wire, call one service, and
turn our exceptions into a one-line message and an exit code (2 bad input, 1 failure).

Imports of heavy modules (numpy, pandas, SQLAlchemy, Dash, WeasyPrint) happen inside
the commands so that ``sloboard --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import CliContext, parse_cli_time, time_option
from .errors import InputError, SloboardError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SLOBOARD_CONFIG",
    help="Settings file (YAML). Environment variables SLOBOARD_* override it. [env: SLOBOARD_CONFIG]",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="sloboard")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, debug: bool) -> None:
    """sloboard: SLOs, error budgets, burn-rate alerts, DORA and cost, from Prometheus.

    \b
    Typical use:
      sloboard validate                 check the SLO specs in ./slo_specs
      sloboard collect                  pull new data from Prometheus into the store
      sloboard status --json            SLO status as JSON, for scripts

    Settings come from --config and SLOBOARD_* environment variables, e.g.
    SLOBOARD_DATA_DIR, SLOBOARD_DATABASE_URL, SLOBOARD_SPECS_DIR,
    SLOBOARD_PROMETHEUS_URL, SLOBOARD_TIMEZONE.
    """
    ctx.obj = CliContext(config, debug)


@cli.command(short_help="Check SLO specs and report every problem.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, not the list of valid SLOs.")
@click.pass_obj
def validate(obj: CliContext, paths: tuple[Path, ...], quiet: bool) -> None:
    """Check SLO specs (OpenSLO v1, Sloth prometheus/v1, Pyrra) and report every problem.

    PATHS are files or folders (searched for *.yaml and *.yml); the default is the
    specs folder from the settings (./slo_specs). Each problem is printed as
    `file:line: field.path: message`. Warnings point at likely mistakes and do not
    fail. Exit code 0 when every spec is valid, 2 when any is not.
    """
    result = obj.load_specs(paths)
    errors = [p for p in result.problems if p.severity == "error"]
    warnings = [p for p in result.problems if p.severity != "error"]
    for problem in errors:
        click.echo(str(problem), err=True)
    for problem in warnings:
        click.echo(str(problem), err=True)
    if not quiet:
        for slo in result.slos:
            click.echo(f"valid: {slo.id} ({slo.source.path if slo.source else '?'})")
    click.echo(
        f"{len(result.files)} file(s), {len(result.slos)} valid SLO(s), "
        f"{len(errors)} error(s), {len(warnings)} warning(s)",
        err=bool(errors),
    )
    if errors:
        sys.exit(2)


@cli.command(short_help="Write a starter sloboard.yaml and an SLO spec for your service.")
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--service", default="my-service", show_default=True, help="Your service's name, as your metrics label it.")
@click.option("--team", default="my-team", show_default=True, help="The team that owns it.")
@click.option("--prometheus-url", default="http://127.0.0.1:9090", show_default=True,
              help="Your Prometheus (or Thanos, Mimir) query URL.")
def init(folder: Path, service: str, team: str, prometheus_url: str) -> None:
    """Write FOLDER/sloboard.yaml and FOLDER/slo_specs/<service>.yaml (default FOLDER: here),
    both commented, ready for `sloboard validate`. Existing files are never overwritten:
    if either exists, nothing is written (exit 2)."""
    from .starter import SETTINGS_FILE, starter_files, write_starter

    for path in write_starter(folder, starter_files(service, team, prometheus_url)):
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {folder} && sloboard --config {SETTINGS_FILE} validate", err=True)


@cli.command(short_help="SLO status: SLI, budget, burn rates, alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (the stable contract for scripts).")
@time_option("--at", "Evaluate every window ending at this time: ISO 8601, epoch seconds, now, or now-<duration>.")
@click.option("--slo", "slo_id", metavar="ID", help="Only this SLO (service/name).")
@click.pass_obj
def status(obj: CliContext, as_json: bool, at: str, slo_id: str | None) -> None:
    """Show SLO status: SLI, error budget, burn rates, alerts, forecast and completeness.

    The JSON form is {"at", "slos": [...], "dora": [...], "cost": [...]}; values that
    cannot be known (no data) are null, never 0.
    """
    from .reads.status import status_report
    from .terminal import render_table
    from .wiring import status_options

    at_epoch = parse_cli_time(at)
    specs = obj.load_specs()
    for problem in specs.problems:
        if problem.severity == "error":
            click.echo(f"skipped invalid spec: {problem}", err=True)
    slos = specs.slos
    if slo_id is not None:
        slos = [s for s in slos if s.id == slo_id]
        if not slos:
            known = ", ".join(sorted(s.id for s in specs.slos)) or "none"
            raise InputError(f"no SLO with id {slo_id!r}; known SLOs: {known}")
    store = obj.open_store()
    try:
        report = status_report(store, slos, at_epoch, **status_options(obj.settings))
    finally:
        store.close()
    click.echo(report.to_json() if as_json else render_table(report))


# Each command group is written in its own module and registered here.
from .cli_accounts import user  # noqa: E402
from .cli_audit import audit  # noqa: E402
from .cli_collect import collect  # noqa: E402
from .cli_db import db  # noqa: E402
from .cli_demo import demo  # noqa: E402
from .cli_gate import gate  # noqa: E402
from .cli_records import cost, deploy  # noqa: E402
from .cli_report import report  # noqa: E402
from .cli_rules import rules  # noqa: E402
from .cli_serve import run, serve  # noqa: E402
from .cli_tokens import token  # noqa: E402

for command in (audit, collect, cost, db, demo, deploy, gate, report, rules, run, serve, token, user):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: no traceback reaches the user unless --debug is given."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="sloboard", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except SloboardError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        sys.exit(1)
