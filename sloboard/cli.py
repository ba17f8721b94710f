"""The ``sloboard`` command: thin commands that parse, wire, call one service, and
turn our exceptions into a one-line message and an exit code (2 bad input, 1 failure).

Imports of heavy modules (numpy, pandas, SQLAlchemy, Dash, WeasyPrint) happen inside
the commands so that ``sloboard --help`` starts fast.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .errors import InputError, SloboardError
from .wiring import load_slos, open_store


def _store_is_empty(store) -> bool:
    """No SLI samples, no cost or golden-signal series and no deployments."""
    return (store.latest_sample_ts() is None and not store.series_keys("cost")
            and not store.series_keys("golden") and not store.deployments())


def _sqlite_path(url: str) -> Path | None:
    from .store.engine import parse_url

    parsed = parse_url(url)
    return Path(parsed.database).resolve() if parsed.drivername.startswith("sqlite") and parsed.database else None


def _warn_if_empty_beside_another(settings, store) -> None:
    """An empty store while another SQLite store sits in the data dir is most likely the
    wrong store (the default one, created just now): name the other one on stderr."""
    in_use = _sqlite_path(settings.db_url)
    others = sorted(p for p in settings.data_dir.glob("*.db") if p.resolve() != in_use and p.stat().st_size)
    if others and _store_is_empty(store):
        names = ", ".join(str(p) for p in others)
        click.echo(f"warning: the store {store.url} is empty, but {names} is in the data dir; to use it, "
                   f"set SLOBOARD_DATABASE_URL=sqlite:///{others[0]}", err=True)


class _Context:
    """Settings built once per process, on first use, and passed down from here."""

    def __init__(self, config: Path | None, debug: bool):
        self.config = config
        self.debug = debug
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            self.reload_settings()
        return self._settings

    def reload_settings(self, *, default_store: bool = False):
        """Read the settings again (the demo does, once it has written its own)."""
        from .settings import load_settings

        self._settings = load_settings(self.config, default_store=default_store)
        return self._settings

    def open_store(self):
        store = open_store(self.settings)
        _warn_if_empty_beside_another(self.settings, store)
        return store

    def load_specs(self, paths=()):
        return load_slos(self.settings, paths)


def _time_option(name: str, help_text: str):
    return click.option(name, "at", default="now", show_default=True, metavar="T", help=help_text)


def _parse_time(text: str) -> int:
    from .timeparse import parse_time

    try:
        return parse_time(text, time.time())
    except ValueError as exc:
        raise InputError(str(exc)) from exc


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
    ctx.obj = _Context(config, debug)


@cli.command(short_help="Check SLO specs and report every problem.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, not the list of valid SLOs.")
@click.pass_obj
def validate(obj: _Context, paths: tuple[Path, ...], quiet: bool) -> None:
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
@_time_option("--at", "Evaluate every window ending at this time: ISO 8601, epoch seconds, now, or now-<duration>.")
@click.option("--slo", "slo_id", metavar="ID", help="Only this SLO (service/name).")
@click.pass_obj
def status(obj: _Context, as_json: bool, at: str, slo_id: str | None) -> None:
    """Show SLO status: SLI, error budget, burn rates, alerts, forecast and completeness.

    The JSON form is {"at", "slos": [...], "dora": [...], "cost": [...]}; values that
    cannot be known (no data) are null, never 0.
    """
    from .reads.status import status_report
    from .terminal import render_table
    from .wiring import status_options

    at_epoch = _parse_time(at)
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


@cli.command(short_help="Pull new data from Prometheus into the store.")
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
def collect(obj: _Context, since: str | None, until: str | None) -> None:
    """Pull new data from Prometheus into the store: SLI counts, golden signals,
    deployments and cost. Incremental: each query continues from its watermark.

    Shows a progress bar on a terminal and one line per query otherwise. A query
    that fails is recorded as a failed run and the others go on; the exit code is
    1 if any failed.

    A backfill that reaches past collect.raw_retention (35d; golden signals:
    collect.golden_raw_retention, 1d) keeps those whole hours as exact hourly sums
    only, as the hourly prune would leave them: a year of history costs its hourly
    rows, not a year of 1-minute steps.
    """
    from collectors.collect import collect_once

    from .domain import parse_duration

    settings = obj.settings
    try:
        since_s = int(parse_duration(since or settings.collect.backfill).total_seconds())
    except ValueError as exc:
        raise InputError(f"--since: {exc}") from exc
    end = _parse_time(until) if until else int(time.time()) - settings.collect.lag_s
    specs = obj.load_specs()
    for problem in specs.problems:
        if problem.severity == "error":
            click.echo(f"skipped invalid spec: {problem}", err=True)
    store = obj.open_store()
    try:
        summary = _run_with_progress(
            lambda on_progress: collect_once(
                settings, store, specs.slos, until=end, since_s=since_s, on_progress=on_progress
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


@cli.command(short_help="Prometheus recording and burn-rate alert rules from the SLO specs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the rules to this file. Default: stdout.")
@click.option("--format", "fmt", type=click.Choice(["prometheus", "prometheus-operator"]), default="prometheus",
              show_default=True, help="A rule file, or a PrometheusRule resource for the Prometheus Operator.")
@click.option("--slo", "slo_id", metavar="ID", help="Only this SLO (service/name).")
@click.pass_obj
def rules(obj: _Context, out: Path | None, fmt: str, slo_id: str | None) -> None:
    """Write Prometheus rules for the SLO specs: per-step event counts, the error ratio over
    every alert window, the objective, the SLI and budget left, multi-window burn-rate
    alerts (page, ticket) linking to the dashboard (dashboard.base_url) and an alert when
    an SLO's data vanishes. A spec that cannot become rules is skipped with its reason on
    stderr; the exit code is then 2.
    """
    from collectors.rules import RuleOptions, generate

    specs = obj.load_specs()
    skipped = [f"skipped invalid spec: {p}" for p in specs.problems if p.severity == "error"]
    settings = obj.settings
    options = RuleOptions(step_s=settings.collect.step_s, lookback_s=settings.collect.lookback_s,
                          dashboard_url=settings.dashboard.base_url)
    text, ruleset = generate(specs.slos, options, fmt, slo_id)
    for line in [*skipped, *ruleset.skipped, *ruleset.notes]:
        click.echo(line, err=True)
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{out}: cannot write the rules: {exc.strerror}") from exc
    if skipped or ruleset.skipped:
        sys.exit(2)


@cli.group()
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
def deploy_record(obj: _Context, service, version, status, commit, committed, started, finished) -> None:
    """Record one deployment. Recording the same service, version and start twice
    stores it once. Times: ISO 8601, epoch seconds, now or now-<duration>."""
    from datetime import datetime, timezone

    from .deployments import record_deployment
    from .domain import Deployment, DeployStatus

    def to_dt(text):
        return datetime.fromtimestamp(_parse_time(text), tz=timezone.utc) if text else None

    began = to_dt(started)
    ended = to_dt(finished) or began
    if ended < began:
        raise InputError("--finished is before --started")
    d = Deployment(service, version, DeployStatus.parse(status), began, ended, "cli", commit, to_dt(committed))
    store = obj.open_store()
    try:
        new = record_deployment(store, d, actor=_actor(), audit_repeats=False, audit_payload={
            "service": service, "version": version, "status": d.status.value,
            "started_at": began.isoformat(), "finished_at": ended.isoformat(), "commit": commit,
        })
    finally:
        store.close()
    click.echo(f"{'recorded' if new else 'already recorded'}: {service} {version} {d.status.value}")


def _actor() -> str:
    """Who ran the command, for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@cli.group()
def cost() -> None:
    """Import cost data that Prometheus does not have."""


@cost.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def cost_import(obj: _Context, file: Path) -> None:
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


def _serve_options(fn):
    fn = click.option("--port", default=8050, show_default=True, help="TCP port of the dashboard.")(fn)
    fn = click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on; 0.0.0.0 to accept connections from other machines.",
    )(fn)
    return fn


@cli.command(short_help="Serve the dashboard only.")
@_serve_options
@click.pass_obj
def serve(obj: _Context, host: str, port: int) -> None:
    """Serve the dashboard only (no collection, no reports). Ctrl-C stops it."""
    from dashboard.serve import serve as serve_dashboard

    _log_to_stderr()
    _note_demo_settings(obj.settings)
    click.echo(f"dashboard on http://{host}:{port}", err=True)
    serve_dashboard(obj.settings, host, port)


def _log_to_stderr() -> None:
    """A long-running command logs what it does (spec reloads, scheduled runs) to stderr."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _note_demo_settings(settings) -> None:
    """A server on the demo's store also takes the demo's token: say so, so nobody runs
    production on it unknowingly."""
    from .settings import demo_settings_path

    path = demo_settings_path(settings)
    if path is not None:
        click.echo(f"note: using the demo's settings in {path} (its budgets, and its API token is accepted); "
                   "delete the file, or use another data dir, to run without them", err=True)


@cli.command(short_help="Collect on a schedule and serve the dashboard.")
@_serve_options
@click.pass_obj
def run(obj: _Context, host: str, port: int) -> None:
    """Production mode: the scheduler (collect every collect.interval_s) and the dashboard
    in one process. Several processes may share one database; only one collects at a time."""
    from dashboard.serve import serve as serve_dashboard

    from .scheduler import start_scheduler

    _log_to_stderr()
    obj.settings.data_dir.mkdir(parents=True, exist_ok=True)
    _note_demo_settings(obj.settings)
    scheduler = start_scheduler(obj.settings, lambda: open_store(obj.settings))
    click.echo(f"collecting every {obj.settings.collect.interval_s}s; dashboard on http://{host}:{port}", err=True)
    try:
        serve_dashboard(obj.settings, host, port)
    finally:
        scheduler.shutdown(wait=False)


@cli.group(invoke_without_command=True, short_help="Seed a synthetic fleet and serve the dashboard.")
@_serve_options
@click.option("--days", default=35, show_default=True, type=click.IntRange(1, 400), help="Days of history to generate.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic fleet; the same seed gives the same data.")
@click.option("--no-serve", is_flag=True, help="Only seed the store, then exit.")
@click.pass_obj
def demo(obj: _Context, host: str, port: int, days: int, seed: int, no_serve: bool) -> None:
    """Seed a fresh store with a synthetic fleet (checkout, payments, search: traffic,
    incidents, deploys, rollbacks, cost) for the specs in the specs folder, then serve
    the dashboard on it and append the fleet's new minutes as time passes.

    The store is the data dir's default one (<data dir>/sloboard.db), so `sloboard
    status` in another terminal reads it. Its budgets and an API token go to
    <data dir>/demo-settings.yaml, which every command reading that store uses too. A
    store holding data the demo did not write is left alone (exit 2).

    `sloboard demo exporter` instead serves the same fleet's live metrics for a
    Prometheus to scrape."""
    if click.get_current_context().invoked_subcommand is not None:
        return  # a subcommand (exporter) runs instead of the seeded demo
    from collectors.synthetic import DEMO_SERVICES, generate_fleet, seed_store

    from .settings import DEMO_SETTINGS_FILE, write_demo_settings

    if obj.settings.database_url is not None:
        click.echo(f"note: the demo ignores database_url and writes {obj.settings.data_dir / 'sloboard.db'}; "
                   "other commands read it when SLOBOARD_DATABASE_URL is unset", err=True)
    settings = obj.reload_settings(default_store=True)
    db_path = _fresh_demo_store(settings)
    specs = obj.load_specs()
    if not specs.slos:
        raise InputError(f"no valid SLO specs in {settings.specs_dir}; run sloboard validate")
    step = settings.collect.step_s
    end = int(time.time()) // step * step
    fleet = generate_fleet(DEMO_SERVICES, end - days * 86400, end, step_s=step, seed=seed)
    store = open_store(settings)  # with the retention: the demo store is what collecting gives
    try:
        with click.progressbar(length=1000, label=f"seeding {days} days", file=sys.stderr) as bar:
            shown = 0

            def progress(done: int, total: int) -> None:
                nonlocal shown
                target = int(1000 * done / max(total, 1))
                bar.update(target - shown)
                shown = target

            seed_store(store, fleet, specs.slos, progress=progress)
        login = _demo_user(store)
    finally:
        store.close()
    token = _demo_token(settings)
    write_demo_settings(settings.data_dir, {"cost": {"budgets_usd": _demo_budgets(fleet)},
                                            "api_tokens": {"demo": token}})
    settings = obj.reload_settings(default_store=True)  # as every other command will: with the demo's settings
    click.echo(f"demo store ready: {db_path} (budgets and API token in {settings.data_dir / DEMO_SETTINGS_FILE})",
               err=True)
    click.echo(f"dashboard login: {login[0]} / {login[1]} (admin; a new password each demo run)", err=True)
    if no_serve:
        return
    _log_to_stderr()
    _serve_demo(settings, host, port, specs.slos, end, seed, token)


@demo.command("exporter")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 to let a Prometheus on another machine (or container) scrape it.")
@click.option("--port", default=9110, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port of /metrics; 0 picks a free one.")
@click.option("--step", "step_s", default=1, show_default=True, type=click.IntRange(1, 86400),
              help="Seconds per step of the fleet: its counters grow once a step. Must divide a day.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic fleet.")
def demo_exporter(host: str, port: int, step_s: int, seed: int) -> None:
    """Serve the synthetic fleet's live metrics at /metrics (Prometheus text format):
    requests, latency histograms, CPU, deployments and OpenCost's cost metrics, with the
    names real exporters use, so the demo specs and shipped queries work on a Prometheus
    that scrapes it. Counters start at 0 now and grow with wall time. Ctrl-C stops it."""
    from collectors.live_exporter import LiveFleet, serve_exporter
    from collectors.synthetic import DEMO_SERVICES

    try:
        fleet = LiveFleet(DEMO_SERVICES, time.time(), step_s=step_s, seed=seed)
    except ValueError as exc:
        raise InputError(f"--step: {exc}") from exc
    try:
        serve_exporter(fleet, host, port, on_ready=lambda url: click.echo(f"synthetic fleet metrics on {url}", err=True))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port or --host") from exc


def _fresh_demo_store(settings) -> Path:
    """Delete the data dir's default store for a new demo, unless it holds data of its own."""
    from .settings import demo_settings_path

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_path = settings.data_dir / "sloboard.db"
    if db_path.exists() and demo_settings_path(settings) is None:
        store = open_store(settings)
        try:
            empty = _store_is_empty(store)
        finally:
            store.close()
        if not empty:
            raise InputError(f"{db_path} holds data that `sloboard demo` did not write; run the demo in "
                             f"another data dir: SLOBOARD_DATA_DIR={settings.data_dir / 'demo'} sloboard demo")
    # demo.db: where earlier versions put the demo, which `sloboard status` never read.
    for name in ("sloboard.db", "demo.db"):
        for suffix in ("", "-wal", "-shm"):
            (settings.data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    return db_path


def _demo_token(settings) -> str:
    """The token of a demo run before, so a pipeline script keeps working; else a new one."""
    import secrets

    known = settings.api_tokens.get("demo")
    return known.get_secret_value() if known is not None else secrets.token_urlsafe(18)


def _demo_user(store) -> tuple[str, str]:
    """An admin "demo" with a fresh random password, so the demo's pages can be opened."""
    import secrets

    from .credentials import hash_password

    password = secrets.token_urlsafe(12)
    store.add_user("demo", "admin", hash_password(password), actor="cli:demo")
    return "demo", password


def _demo_budgets(fleet) -> dict[str, float]:
    """Monthly budgets around the fleet's own spend, so the demo shows every budget state:
    checkout over budget, payments near its warning line, search and the total healthy.
    No factor exceeds the total's, so the services' budgets never add up to more than it."""
    per_month = {name: float(fleet.cost_usd(f"service:{name}").sum()) * 30 * 86400 / (fleet.end - fleet.start)
                 for name in fleet.service_names}
    total_factor = 1.3
    factors = {"checkout": 0.9, "payments": 1.15, "search": total_factor}
    budgets = {f"service:{name}": round(per_month[name] * f, 2) for name, f in factors.items() if name in per_month}
    # Rounded down, the services' sum stays within the total even after rounding.
    budgets["total"] = max(round(sum(per_month.values()) * total_factor, 2), round(sum(budgets.values()), 2))
    return budgets


def _serve_demo(settings, host: str, port: int, slos, end: int, seed: int, token: str) -> None:
    """The dashboard on the demo store, with a thread that appends the fleet's new minutes."""
    import threading

    from dashboard.serve import serve as serve_dashboard

    url = f"http://{host}:{port}"
    click.echo(f"dashboard on {url}\n"
               f"in another terminal: .venv/bin/sloboard status\n"
               f"API token: {token}\n"
               f"record a deployment: curl -X POST {url}/api/v1/deployments -H 'Authorization: Bearer {token}' "
               "-H 'Content-Type: application/json' "
               "-d '{\"service\": \"checkout\", \"version\": \"v2.0.0\", \"status\": \"succeeded\"}'", err=True)
    stop = threading.Event()
    ticker = threading.Thread(target=_keep_demo_moving, args=(settings, slos, end, seed, stop),
                              name="demo-fleet", daemon=True)
    ticker.start()
    try:
        serve_dashboard(settings, host, port)
    finally:
        stop.set()
        ticker.join(timeout=10)


def _keep_demo_moving(settings, slos, end: int, seed: int, stop) -> None:
    """Append the synthetic fleet's steps up to now, just after each step ends, until
    ``stop``: the demo's data stays as fresh as a collector's, and the stale-data banner
    (which tells users to run `sloboard collect`) never shows."""
    from collectors.synthetic import DEMO_SERVICES, extend_store

    step = settings.collect.step_s
    store = open_store(settings)
    try:
        while not stop.wait(step - time.time() % step + 1.0):
            now = int(time.time()) // step * step
            if now <= end:
                continue
            try:
                extend_store(store, DEMO_SERVICES, slos, end, now, step_s=step, seed=seed)
            except SloboardError as exc:  # e.g. the database locked for longer than its timeout
                click.echo(f"demo: could not append the steps up to {now}: {exc}; trying again", err=True)
                continue
            end = now
    finally:
        store.close()


@cli.group()
def db() -> None:
    """Manage the store's database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: _Context) -> None:
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
def db_prune(obj: _Context) -> None:
    """Delete per-step samples older than collect.raw_retention (default 35d; golden
    signals: collect.golden_raw_retention, default 1d) now; `sloboard run` does this
    every hour. Hourly rollups keep the long history for collect.rollup_retention
    (default 400d)."""
    from .scheduler import prune_raw_samples

    store = obj.open_store()
    try:
        deleted = prune_raw_samples(obj.settings, store)
    finally:
        store.close()
    collect = obj.settings.collect
    click.echo(f"deleted {deleted} rows: per-step samples older than {collect.raw_retention} "
               f"(golden signals: older than {collect.golden_raw_retention}) and hourly rollups older than "
               f"{collect.rollup_retention}")


from .cli_audit import audit  # noqa: E402  (registered here, written apart)
from .cli_accounts import user  # noqa: E402  (registered here, written apart)
from .cli_tokens import token  # noqa: E402
from .cli_report import report  # noqa: E402

cli.add_command(user)
cli.add_command(audit)
cli.add_command(token)
cli.add_command(report)


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
