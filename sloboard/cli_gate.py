"""``sloboard gate SERVICE``: may SERVICE deploy now? Exit 0 allow, 3 deny, the reasons on
stdout (``--json``: the answer of ``GET /api/v1/gate``). ``sloboard gate override|list|revoke``:
admins' overrides, each with a reason and an expiry, audited.

The decision is ``sloboard.gate.ask``, the HTTP gate's own. A store that cannot be opened
is the same fail-closed (or, with ``gate.fail_open``, fail-open) answer as one that fails
mid-read.
"""

from __future__ import annotations

import json
import time

import click

from .cli_accounts import _when
from .cli_common import cli_actor
from .errors import InputError, StoreError

EXIT_DENY = 3


class _ServiceOrCommand(click.Group):
    """``gate SERVICE`` is ``gate check SERVICE``: a first word that names no subcommand is a service."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ServiceOrCommand, short_help="May SERVICE deploy now? Exit 0 allow, 3 deny; admin overrides.")
def gate() -> None:
    """The deploy gate, as GET /api/v1/gate answers it.

    \b
      sloboard gate SERVICE [--json]     exit 0: allow, 3: deny; the reasons on stdout
      sloboard gate override SERVICE --reason TEXT --expires 2h
      sloboard gate list [--all]
      sloboard gate revoke SERVICE
    """


@gate.command("check")
@click.argument("service")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON, as GET /api/v1/gate does.")
@click.pass_obj
def gate_check(obj, service: str, as_json: bool) -> None:
    """May SERVICE deploy now? Deny (exit 3) when an SLO of SERVICE has its budget below its
    policy's freeze level or a page alert firing, or, unless gate.fail_open is set, when the
    store is unreachable or an SLO's data is stale; an active override allows (exit 0)."""
    from .gate import GateRules, ask, service_slos, unreachable
    from .reads.status import status_report
    from .wiring import status_options

    settings = obj.settings
    specs = obj.load_specs()
    for problem in specs.problems:
        if problem.severity == "error":  # its SLOs are not judged: say so where the job log shows it
            click.echo(f"skipped invalid spec: {problem}", err=True)
    slos = service_slos(specs.slos, service)
    now, rules, actor = time.time(), GateRules.from_settings(settings), cli_actor()
    try:
        store = obj.open_store()
    except StoreError as exc:
        answer = unreachable(service, rules.instant(now), exc, fail_open=rules.fail_open, actor=actor)
    else:
        try:
            answer = ask(store, slos, service, now, rules,
                         read_entries=lambda t: status_report(store, slos, t, **status_options(settings)).slos,
                         actor=actor)
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
    else:
        click.echo(f"{'allow' if answer.allowed else 'deny'}: {service} (state {answer.decision.state})")
        for reason in answer.decision.reasons:
            click.echo(f"  {reason}")
    if not answer.allowed:
        raise SystemExit(EXIT_DENY)


@gate.command("override")
@click.argument("service")
@click.option("--reason", required=True, help="Why the gate is opened; kept in the audit log and shown on the "
              "SLO page.")
@click.option("--expires", required=True, metavar="DURATION", help="How long it holds, e.g. 2h; at most "
              "gate.max_override (7d).")
@click.pass_obj
def gate_override(obj, service: str, reason: str, expires: str) -> None:
    """Let SERVICE deploy whatever its SLOs say, until the override expires or is revoked."""
    from .domain import parse_duration
    from .gate import service_slos

    service_slos(obj.load_specs().slos, service)
    try:
        lifetime = parse_duration(expires)
    except ValueError as exc:
        raise InputError(f"--expires: {exc}") from exc
    longest = obj.settings.gate.max_override
    if lifetime > parse_duration(longest):
        raise InputError(f"--expires: {expires} is longer than gate.max_override ({longest})")
    store = obj.open_store()
    try:
        override = store.add_gate_override(service, reason, time.time() + lifetime.total_seconds(), actor=cli_actor())
    finally:
        store.close()
    click.echo(f"override {override.id}: {service} may deploy until {_when(override.expires_at)} "
               f"(by {override.created_by}: {override.reason})")


@gate.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also expired and revoked overrides.")
@click.pass_obj
def gate_list(obj, show_all: bool) -> None:
    """Active overrides, newest first: id, service, state, expiry, who and why."""
    store = obj.open_store()
    now = time.time()
    try:
        overrides = store.gate_overrides(active_at=None if show_all else now)
    finally:
        store.close()
    for o in overrides:
        state = "revoked" if o.revoked_at is not None else ("active" if o.active_at(now) else "expired")
        click.echo(f"{o.id}\t{o.service}\t{state}\tuntil {_when(o.expires_at)}\tby {o.created_by}\t{o.reason}")
    if not overrides:
        click.echo("no active overrides" + ("" if show_all else " (--all lists expired and revoked ones)"), err=True)


@gate.command("revoke")
@click.argument("service")
@click.pass_obj
def gate_revoke(obj, service: str) -> None:
    """Revoke every active override of SERVICE now; they stay listed (and audited) as revoked."""
    store = obj.open_store()
    try:
        revoked = store.revoke_gate_overrides(service, actor=cli_actor())
    finally:
        store.close()
    if not revoked:
        raise InputError(f"no active override of {service}; see `sloboard gate list`")
    click.echo(f"revoked override {', '.join(str(o.id) for o in revoked)} of {service}")

