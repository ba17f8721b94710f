"""``sloboard token ...``: bearer tokens for machines.

A token is printed once, on stdout alone, so ``TOKEN=$(sloboard token create ci --scope
deploy:write)`` works; the store keeps only its SHA-256 (``sloboard.credentials``).
"""

from __future__ import annotations

import time

import click

from .cli_accounts import _when
from .cli_common import cli_actor
from .errors import InputError


@click.group()
def token() -> None:
    """Bearer tokens for machines (CI recording deployments, asking the gate), scoped and expiring."""


@token.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["deploy:write", "gate:read", "status:read"]),
              help="What the token may do; repeat for several.")
@click.option("--expires", default="90d", show_default=True, metavar="DURATION",
              help="How long the token works, e.g. 30d, 12w.")
@click.pass_obj
def token_create(obj, name: str, scopes: tuple[str, ...], expires: str) -> None:
    """Create token NAME and print it once: only its SHA-256 is stored, so it cannot be shown again."""
    from .credentials import check_scopes, new_token, token_digest
    from .domain import parse_duration

    try:
        lifetime = parse_duration(expires).total_seconds()
    except ValueError as exc:
        raise InputError(f"--expires: {exc}") from exc
    secret = new_token()
    store = obj.open_store()
    try:
        record = store.add_token(name, token_digest(secret), check_scopes(scopes), time.time() + lifetime,
                                 actor=cli_actor())
    finally:
        store.close()
    click.echo(secret)
    click.echo(f"token {name} ({' '.join(record.scopes)}) expires {_when(record.expires_at)}; "
               "it is shown this once: keep it in your CI's secret store", err=True)


@token.command("list")
@click.pass_obj
def token_list(obj) -> None:
    """Every token: name, scopes, state, expiry and last use (never the token)."""
    store = obj.open_store()
    try:
        tokens = store.tokens()
    finally:
        store.close()
    now = time.time()
    for t in tokens:
        state = "revoked" if t.revoked_at is not None else ("expired" if now >= t.expires_at else "active")
        click.echo(f"{t.name}\t{' '.join(t.scopes)}\t{state}\texpires {_when(t.expires_at)}\t"
                   f"last used {_when(t.last_used_at)}")
    if not tokens:
        click.echo("no tokens; create one with `sloboard token create NAME --scope deploy:write`", err=True)


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj, name: str) -> None:
    """Revoke token NAME at once; it stays listed (and audited) as revoked."""
    store = obj.open_store()
    try:
        store.revoke_token(name, actor=cli_actor())
    finally:
        store.close()
    click.echo(f"revoked token {name}")
