"""``sloboard rules``: Prometheus recording and burn-rate alert rules from the SLO specs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import CliContext
from .errors import InputError

@click.command(short_help="Prometheus recording and burn-rate alert rules from the SLO specs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the rules to this file. Default: stdout.")
@click.option("--format", "fmt", type=click.Choice(["prometheus", "prometheus-operator"]), default="prometheus",
              show_default=True, help="A rule file, or a PrometheusRule resource for the Prometheus Operator.")
@click.option("--slo", "slo_id", metavar="ID", help="Only this SLO (service/name).")
@click.pass_obj
def rules(obj: CliContext, out: Path | None, fmt: str, slo_id: str | None) -> None:
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
