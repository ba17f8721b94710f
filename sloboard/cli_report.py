"""``sloboard report weekly|monthly|quarterly``: build (and mail) one report PDF.

A thin command: it resolves the period (default: the last complete one), calls
``reports.service.make_report`` under the kind's lock (``build_locked``, as the scheduler
and the dashboard do) and says where the PDF went. A bad period is a one-line error and
exit 2 (``PeriodError`` is an ``InputError``); a kind another process is building, exit 1.
"""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command(short_help="Build (and mail) the weekly, monthly or quarterly report PDF.")
@click.argument("kind", type=click.Choice(["weekly", "monthly", "quarterly"]))
@click.option("--period", metavar="P", help="2026-W47 (weekly), 2026-10 (monthly) or 2026-Q4 (quarterly), in the "
              "configured time zone. [default: the last complete one]")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write a copy of the PDF here.")
@click.option("--send", is_flag=True, help="Mail it to reports.recipients.<kind> over reports.smtp.")
@click.pass_obj
def report(obj, kind: str, period: str | None, out: Path | None, send: bool) -> None:
    """Build the KIND report for a calendar period from the store, archive it under
    <data dir>/reports/KIND/PERIOD.pdf with its SHA-256 in the audit log, and with
    --send mail it (a failed delivery is recorded and retried by `sloboard run`)."""
    from reports.service import build_locked, make_report, resolve_period

    from .cli_common import cli_actor
    from .store import this_process

    chosen = resolve_period(kind, period, obj.settings.timezone, time.time())
    specs = obj.load_specs()
    store = obj.open_store()
    try:
        run = build_locked(store, kind, this_process(), lambda: make_report(
            store, specs.slos, obj.settings, kind, chosen, send=send, out=out, actor=cli_actor()))
    finally:
        store.close()
    click.echo(f"{kind} report {chosen.label}: {Path(obj.settings.data_dir) / run.path} (SHA-256 {run.sha256})")
    if out is not None:
        click.echo(f"copy written to {out}")
    if send:
        click.echo(f"delivery {run.delivery_status}: {', '.join(run.recipients)}"
                   + (f" ({run.delivery_error})" if run.delivery_error else ""))
        if run.delivery_status != "sent":
            raise SystemExit(1)
