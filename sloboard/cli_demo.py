"""``sloboard demo`` (a seeded synthetic fleet behind the dashboard) and ``sloboard demo exporter``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .cli_common import CliContext, log_to_stderr, serve_options, store_is_empty
from .errors import InputError, SloboardError
from .wiring import open_store, report_service

@click.group(invoke_without_command=True, short_help="Seed a synthetic fleet and serve the dashboard.")
@serve_options
@click.option("--days", default=35, show_default=True, type=click.IntRange(1, 400), help="Days of history to generate.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic fleet; the same seed gives the same data.")
@click.option("--no-serve", is_flag=True, help="Only seed the store, then exit.")
@click.pass_obj
def demo(obj: CliContext, host: str, port: int, days: int, seed: int, no_serve: bool) -> None:
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
    from collectors.synthetic import DEMO_SERVICES, generate_fleet
    from collectors.synthetic_store import seed_store

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
    log_to_stderr(settings)
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
            empty = store_is_empty(store)
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
        serve_dashboard(settings, host, port, reports=report_service())
    finally:
        stop.set()
        ticker.join(timeout=10)


def _keep_demo_moving(settings, slos, end: int, seed: int, stop) -> None:
    """Append the synthetic fleet's steps up to now, just after each step ends, until
    ``stop``: the demo's data stays as fresh as a collector's, and the stale-data banner
    (which tells users to run `sloboard collect`) never shows."""
    from collectors.synthetic import DEMO_SERVICES
    from collectors.synthetic_store import extend_store

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
